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


def test_a_flush_on_one_worker_writes_the_other_workers_queue(tmp_path: Path) -> None:
    """Two workers' stores on one file (as ``serve --workers 2`` makes them): a row queued
    by one is read at once by the other, which asks for it through the shared page."""
    from mockserver.core.marks import ChangeMarks

    marks = ChangeMarks.shared(2)
    stores = [Store(str(tmp_path / "s.db"), defer_interval=3600) for _ in range(2)]
    for number, store in enumerate(stores):
        backlogs = marks.for_worker(number).backlogs()
        assert backlogs is not None
        store.share_queue(backlogs)
    queued = stores[0].defer(JOURNAL_ROW, ("/on-worker-0",))  # starts worker 0's writer
    assert not queued.written
    assert [e["path"] for e in read_journal(stores[1])] == ["/on-worker-0"]
    assert queued.written
    for store in stores:
        store.close()


def test_a_worker_that_ended_is_not_waited_for(tmp_path: Path) -> None:
    from mockserver.core.marks import ChangeMarks

    marks = ChangeMarks.shared(2)
    gone = marks.for_worker(1).backlogs()
    here = marks.for_worker(0).backlogs()
    assert gone is not None and here is not None
    gone.queued(3)  # three rows queued, never written: the worker was killed
    assert not here.wait_for_others(timeout=0.05)  # bounded
    marks.settle(1)  # the supervisor saw it end
    assert here.wait_for_others(timeout=0.05)
    assert marks.for_worker(1).backlogs().start() == 3  # type: ignore[union-attr]


def test_a_batch_of_rows_is_written_in_multi_row_inserts_with_their_own_ids(
        tmp_path: Path) -> None:
    store = Store(str(tmp_path / "s.db"), defer_interval=3600)
    store.execute(JOURNAL_ROW, ("/before",))  # id 1, written at once
    entries = [store.defer(JOURNAL_ROW + " RETURNING id", (f"/{n}",)) for n in range(200)]
    store.defer("DELETE FROM journal WHERE path = ?", ("/7",))  # another statement between
    entries.append(store.defer(JOURNAL_ROW + " RETURNING id", ("/last",)))
    store.flush()
    rows = {row["id"]: row["path"] for row in store.all("SELECT id, path FROM journal")}
    assert [entry.rowid for entry in entries] == list(range(2, 203))
    assert all(rows.get(entry.rowid) == path for entry, path in
               zip(entries, [f"/{n}" for n in range(200)] + ["/last"]) if path != "/7")
    assert "/7" not in rows.values() and len(rows) == 201
    store.close()


def test_a_batch_that_fails_is_counted_so_no_worker_waits_for_it(tmp_path: Path) -> None:
    from mockserver.core.marks import ChangeMarks

    marks = ChangeMarks.shared(2)
    stores = [Store(str(tmp_path / "s.db"), defer_interval=3600) for _ in range(2)]
    backlogs = [marks.for_worker(n).backlogs() for n in range(2)]
    for store, backlog in zip(stores, backlogs):
        assert backlog is not None
        store.share_queue(backlog)
    stores[0].defer("INSERT INTO no_such_table (x) VALUES (?) RETURNING id", (1,))
    assert backlogs[1].wait_for_others(timeout=5.0)  # type: ignore[union-attr]
    stores[0].defer(JOURNAL_ROW, ("/after",))  # the writer went on
    assert [e["path"] for e in read_journal(stores[1])] == ["/after"]
    for store in stores:
        store.close()


def test_big_integers_read_back_as_integers() -> None:
    from mockserver.core import json_codec

    assert json_codec.loads('{"n": 123456789012345678901234567890}') == {
        "n": 123456789012345678901234567890}
    assert json_codec.loads(b"[1.5, 18446744073709551615]") == [1.5, 18446744073709551615]
