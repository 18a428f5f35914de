"""The lean hot path keeps its promises: journal rows written in batches are seen at once by
the server and kept on a clean stop; accounts read from memory stay exact when the state
file changes under them; read-only handlers answer on the event loop."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx

from live import ServerProcess
from mockserver.core.accounts import Accounts
from mockserver.core.clock import Clock
from mockserver.core.settings import Settings
from mockserver.core.store import Store
from mockserver.http.journal import read_journal

JOURNAL_ROW = ("INSERT INTO journal (at, method, path, query, status, headers, body, elapsed_ms)"
               " VALUES ('t', 'GET', ?, '', 200, '{}', '', 0)")


def test_deferred_rows_are_read_at_once_in_order_with_their_ids(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "s.db"), defer_interval=3600)  # the thread never flushes
    entries = [store.defer(JOURNAL_ROW, (f"/{n}",)) for n in range(3)]
    assert not any(entry.written for entry in entries)
    assert [e["path"] for e in read_journal(store)] == ["/2", "/1", "/0"]
    assert [entry.rowid for entry in entries] == [1, 2, 3]
    store.close()


def test_a_closed_store_has_written_its_queue(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "s.db"), defer_interval=3600)
    store.defer(JOURNAL_ROW, ("/kept",))
    store.close()
    with sqlite3.connect(tmp_path / "s.db") as conn:
        assert conn.execute("SELECT path FROM journal").fetchall() == [("/kept",)]


def test_reset_empties_rows_queued_before_it(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "s.db"), defer_interval=3600)
    store.defer(JOURNAL_ROW, ("/before",))
    store.reset()
    assert read_journal(store) == []
    store.close()


def test_kept_accounts_follow_charges_and_other_writers(tmp_path: Path) -> None:
    path = str(tmp_path / "s.db")
    settings = Settings(state_path=path)
    store = Store(path)
    accounts = Accounts(store, settings, Clock("manual", 1.0, store))
    start = accounts.get_or_create("muzaic", "k").balance
    accounts.charge("muzaic", "k", 5, "tokens")
    assert accounts.get_or_create("muzaic", "k").balance == start - 5
    other = Store(path)  # another process's connection to the same file
    other.execute("UPDATE accounts SET balance = 7")
    assert accounts.get_or_create("muzaic", "k").balance == 7
    store.reset()
    assert accounts.get_or_create("muzaic", "k").balance == start
    other.close()
    store.close()


def test_a_clean_stop_writes_the_queued_journal(tmp_path: Path) -> None:
    state = tmp_path / "s.db"
    with ServerProcess(["--state", str(state)], cwd=tmp_path) as server:
        answer = httpx.get(server.url + "/muzaic/accountDetails",
                           headers={"MuzaicAPI-Secret-Key": "lean"})
        assert answer.status_code == 200
    with sqlite3.connect(state) as conn:
        rows = conn.execute("SELECT path, status FROM journal").fetchall()
    assert rows == [("/muzaic/accountDetails", 200)]
