"""The two backends of ``Store`` behave alike: the same SQL, the same answers (SQLite always;
PostgreSQL when the test server is there, else skipped with the reason)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockserver.core.store import Store
from mockserver.core.stores.postgres import PostgresStore, printable, translate, translate_ddl
from mockserver.core.stores.sqlite import SqliteStore
from postgres_db import postgres_url, schema_url

DDL = """
CREATE TABLE IF NOT EXISTS things (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    size REAL NOT NULL,
    data BLOB
);
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a store of each backend keeps its state (two stores on it share it)."""
    return str(tmp_path / "s.db") if request.param == "sqlite" else schema_url()


@pytest.fixture
def store(state: str) -> Iterator[Store]:
    opened = Store(state)
    opened.migrate(DDL)
    yield opened
    opened.close()


@pytest.fixture
def pair(state: str) -> Iterator[tuple[Store, Store]]:
    """Two stores on one state, as two servers have."""
    one, two = Store(state), Store(state)
    yield one, two
    one.close()
    two.close()


def test_store_picks_its_backend(state: str) -> None:
    opened = Store(state)
    try:
        assert isinstance(opened, PostgresStore if state.startswith("postgresql") else SqliteStore)
        assert {"accounts", "journal", "meta"} <= set(opened.tables())
    finally:
        opened.close()


def test_the_same_sql_gives_the_same_answers(store: Store) -> None:
    first = store.scalar("INSERT INTO things (name, size, data) VALUES (?, ?, ?) RETURNING id",
                         ("a", 1.25, b"\x00\x01"))
    store.execute("INSERT INTO things (name, size) VALUES (?, ?) ON CONFLICT DO NOTHING", ("a", 9))
    store.execute_many("INSERT INTO things (name, size) VALUES (?, ?)", [("b", 2), ("c%?", 3)])
    assert first == 1
    assert store.scalar("SELECT COUNT(*) FROM things") == 3
    row = store.one("SELECT * FROM things WHERE name = ?", ("a",))
    assert row is not None
    assert dict(row) == {"id": 1, "name": "a", "size": 1.25, "data": b"\x00\x01"}
    assert row[1] == row["name"] == "a"
    assert [r["name"] for r in store.all("SELECT name FROM things WHERE ? IS NULL OR size > ?"
                                         " ORDER BY id", (None, None))] == ["a", "b", "c%?"]
    assert store.scalar("SELECT name FROM things WHERE name LIKE '%?'") == "c%?"
    assert store.execute("UPDATE things SET size = size + 1 WHERE size < ?", (3,)).rowcount == 2
    assert store.scalar("SELECT json_extract(?, '$.a.b')", ('{"a": {"b": "x"}, "c": "\\u0000"}',)) == "x"
    assert store.scalar("SELECT COUNT(*) FROM (SELECT ? AS doc) AS d WHERE json_extract(doc, '$.a')"
                        " = 'x'", ('{"a": "\\ud800"}',)) == 0  # a lone surrogate: no match, no error
    store.set_meta("k", "1")
    store.set_meta("k", "2")
    assert store.get_meta("k") == "2" and store.get_meta("nothing") is None


def test_reset_empties_the_tables_and_ids_start_again(store: Store) -> None:
    store.execute("INSERT INTO things (name, size) VALUES ('a', 1)")
    salt = store.get_meta("key_salt")
    store.set_meta("other", "x")
    assert "things" in store.reset()
    assert store.scalar("SELECT COUNT(*) FROM things") == 0
    assert store.get_meta("key_salt") == salt and store.get_meta("other") is None
    assert store.scalar("INSERT INTO things (name, size) VALUES ('b', 1) RETURNING id") == 1


def test_a_transaction_is_whole_and_nested_calls_join_it(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as conn:
        conn.execute("INSERT INTO things (name, size) VALUES ('a', 1)")
        with store.transaction():
            store.execute("INSERT INTO things (name, size) VALUES ('b', 1)")
        assert store.scalar("SELECT COUNT(*) FROM things") == 2  # its own writes, seen inside
        raise RuntimeError("roll back")
    assert store.scalar("SELECT COUNT(*) FROM things") == 0


def test_a_database_from_before_gets_its_added_columns(state: str) -> None:
    old = Store(state)
    old.migrate("CREATE TABLE IF NOT EXISTS grown (id INTEGER PRIMARY KEY AUTOINCREMENT)")
    old.execute("INSERT INTO grown DEFAULT VALUES")
    old.close()
    new = Store(state)
    new.migrate("CREATE TABLE IF NOT EXISTS grown (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                " note TEXT, weight REAL NOT NULL DEFAULT 0)",
                {"grown": ("note TEXT", "weight REAL NOT NULL DEFAULT 0")})
    row = new.one("SELECT * FROM grown")
    new.close()
    assert row is not None and dict(row) == {"id": 1, "note": None, "weight": 0}


def test_two_stores_share_the_state_and_the_key_salt(pair: tuple[Store, Store]) -> None:
    one, two = pair
    assert one.keys.digest("k") == two.keys.digest("k")
    one.set_meta("seen", "yes")
    assert two.get_meta("seen") == "yes"


def test_a_named_lock_is_held_by_one_store_until_let_go(pair: tuple[Store, Store]) -> None:
    one, two = pair
    assert one.try_hold("loops") and one.try_hold("loops")  # held: asking again keeps it
    assert not two.try_hold("loops")
    assert two.try_hold("other")
    one.let_go("loops")
    assert two.try_hold("loops")
    assert not one.try_hold("loops")


def test_a_closed_store_lets_go_of_its_locks(pair: tuple[Store, Store]) -> None:
    one, two = pair
    assert one.try_hold("loops")
    one.close()
    assert two.try_hold("loops")


def test_transactions_of_two_servers_run_one_at_a_time() -> None:
    """What SQLite's BEGIN IMMEDIATE gives: a second transaction waits for the first to commit,
    then reads what it wrote (a read-then-write, like a submit's next number, stays right)."""
    url = schema_url()
    one, two, watcher = Store(url), Store(url), Store(url)
    one.migrate(DDL)
    seen: list[int] = []
    try:
        with one.transaction() as conn:
            conn.execute("INSERT INTO things (name, size) VALUES ('first', 1)")

            def second() -> None:
                with two.transaction() as other:
                    count = other.execute("SELECT COUNT(*) FROM things").fetchone()[0]
                    other.execute("INSERT INTO things (name, size) VALUES (?, 1)", (f"n{count}",))
                    seen.append(count)

            worker = threading.Thread(target=second)
            worker.start()
            while not watcher.scalar("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory'"
                                     " AND NOT granted"):
                assert worker.is_alive()  # it waits for the lock, it does not run
            assert seen == []
        worker.join(10)
        assert seen == [1]
        assert one.scalar("SELECT name FROM things ORDER BY id DESC LIMIT 1") == "n1"
    finally:
        for each in (one, two, watcher):
            each.close()


def test_translation_is_mechanical() -> None:
    assert translate("SELECT * FROM t WHERE a = ? AND b LIKE '%?' AND \"c?\" = ?") == \
        "SELECT * FROM t WHERE a = %s AND b LIKE '%%?' AND \"c?\" = %s"
    assert translate_ddl("id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER, r REAL, b BLOB") == \
        ("id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, n BIGINT, r DOUBLE PRECISION,"
         " b BYTEA")
    assert printable("postgresql://me:secret@db:5432/mock") == "postgresql://me:***@db:5432/mock"


def test_a_text_with_nul_is_kept_readable() -> None:
    store = Store(schema_url())
    try:
        store.execute("INSERT INTO meta (key, value) VALUES (?, ?)", ("nul", "a\x00b"))
        assert store.get_meta("nul") == "a\ufffdb"
    finally:
        store.close()


def test_an_unreachable_database_is_named_without_its_password() -> None:
    postgres_url()
    with pytest.raises(ValueError, match=r"postgresql://me:\*\*\*@127\.0\.0\.1:1/nowhere"):
        Store("postgresql://me:secret@127.0.0.1:1/nowhere?connect_timeout=2")
