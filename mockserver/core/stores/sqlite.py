"""The SQLite backend: one file (or ``:memory:``), the embedded default.

Access is serialised by one lock: the server's write volume is small, and one connection
in WAL mode keeps restarts lossless. The file is readable by its owner only (mode 0600, as
are SQLite's ``-wal`` and ``-shm`` files, which take the database's mode); a file from before
keys were hashed is migrated when opened (``key_migration``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mockserver.core.deferred import INTERVAL, InsertRows
from mockserver.core.key_migration import hash_clear_keys, is_legacy
from mockserver.core.keyhash import KeyHasher
from mockserver.core.store import Connection, Store


class SqliteStore(Store):
    """A thread-safe wrapper around one SQLite connection."""

    def __init__(self, path: str, defer_interval: float = INTERVAL) -> None:
        super().__init__(path, defer_interval)
        if path != ":memory:":
            _create_private(Path(path))
        self.path = path
        self.kind = "memory" if path == ":memory:" else "file"
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._session = self._conn
        self._held: dict[str, int] = {}
        # writers of one file take turns on a lock file first: the kernel wakes the next at
        # once, where SQLite's own busy wait sleeps up to 100 ms between tries (a worker's
        # event loop waited behind its journal writer for a second or more)
        self._writers = (None if path == ":memory:" else
                         os.open(f"{path}.write.lock", os.O_RDWR | os.O_CREAT, 0o600))
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
        self._open()

    def _legacy_keys(self, conn: Connection, keys: KeyHasher) -> bool:
        assert isinstance(conn, sqlite3.Connection)
        if not is_legacy(conn):
            return False
        hash_clear_keys(conn, keys)
        return True

    def _after_legacy_keys(self) -> None:
        # rewrite every page and empty the WAL: no old copy of a key stays behind
        with self._lock:
            self._conn.execute("VACUUM")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _columns(self, table: str) -> set[str]:
        return {row["name"] for row in self.all(f'PRAGMA table_info("{table}")')}

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._conn.execute(sql, params)

    def one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
            return row

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:  # type: ignore[override]
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def _bulk_inserts(self) -> InsertRows:
        return insert_rows

    def _begin(self) -> None:
        self._take_turn()
        try:
            self._conn.execute("BEGIN IMMEDIATE")  # the write lock now: the file's only writer
        except BaseException:
            self._let_writers_on()
            raise

    def _finish(self, commit: bool) -> None:
        try:
            self._conn.execute("COMMIT" if commit else "ROLLBACK")
        finally:
            self._let_writers_on()

    def _take_turn(self) -> None:
        """Wait for the write lock file, at most as long as SQLite's busy timeout (a writer
        that holds it longer is stuck: SQLite's own lock then decides, as before)."""
        if self._writers is None:
            return
        deadline = time.monotonic() + BUSY_SECONDS
        while True:
            try:
                fcntl.flock(self._writers, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return
                time.sleep(TURN_STEP)

    def _let_writers_on(self) -> None:
        if self._writers is not None:
            fcntl.flock(self._writers, fcntl.LOCK_UN)

    def _empty(self, conn: Connection, tables: Sequence[str]) -> None:
        for table in tables:
            conn.execute(f'DELETE FROM "{table}"')
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone():
            conn.execute("DELETE FROM sqlite_sequence")

    def tables(self) -> list[str]:
        rows = self.all("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
        return [r["name"] for r in rows]

    def try_hold(self, name: str) -> bool:
        """A lock file beside the database (``<file>.<name>.lock``, ``flock``): the processes
        that share an SQLite file share its folder. In memory, the store is the only one."""
        with self._lock:
            if name in self._held:
                return True
            if self.path == ":memory:":
                self._held[name] = -1
                return True
            fd = os.open(f"{self.path}.{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            self._held[name] = fd
            return True

    def let_go(self, name: str) -> None:
        with self._lock:
            fd = self._held.pop(name, None)
            if fd is not None and fd >= 0:
                os.close(fd)  # closing the only descriptor releases the flock

    def _data_version(self) -> int:
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def _disconnect(self) -> None:
        with self._lock:
            for name in list(self._held):
                self.let_go(name)
            self._conn.close()
            if self._writers is not None:
                os.close(self._writers)
                self._writers = None


def _create_private(path: Path) -> None:
    """Create the state file (and its folder) readable by the owner only; tighten the mode of
    an existing file and of its WAL and shared-memory files."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for each in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            if each.stat().st_mode & 0o077:
                each.chmod(0o600)


BUSY_SECONDS = 5.0
"""How long a writer waits for another to finish (SQLite's busy timeout, the lock file)."""
TURN_STEP = 0.0002
"""Seconds between tries at the write lock file (a writer holds it for about a millisecond)."""
_VALUES = re.compile(r"^(?P<head>.*?\bVALUES\s*)(?P<row>\(.*\))\s*RETURNING\s+id\s*$",
                     re.IGNORECASE | re.DOTALL)
_NOT_EVERY_ROW = re.compile(r"\bOR\s+\w+\b|\bON\s+CONFLICT\b", re.IGNORECASE)
ROWS_PER_INSERT = 75
"""Rows per multi-row INSERT (within SQLite's oldest limit of 999 parameters at 12 columns)."""


def insert_rows(conn: Connection, sql: str, rows: list[Sequence[Any]]) -> list[int]:
    """Insert ``rows`` with ``sql`` (one row's ``INSERT ... VALUES (?, ...) RETURNING id``)
    in multi-row statements: each is one step of SQLite, so a writer holding the file's
    write lock needs the GIL once per statement, not once per row. The ids are consecutive
    (one writer, ``INTEGER PRIMARY KEY``), the last one read back."""
    shape = _VALUES.match(sql)
    if shape is None or _NOT_EVERY_ROW.search(sql):
        # a statement that may skip rows (OR IGNORE, ON CONFLICT): ids only row by row
        return [int(conn.execute(sql, row).fetchone()[0]) for row in rows]
    ids: list[int] = []
    for start in range(0, len(rows), ROWS_PER_INSERT):
        chunk = rows[start:start + ROWS_PER_INSERT]
        conn.execute(shape["head"] + ", ".join([shape["row"]] * len(chunk)),
                     [value for row in chunk for value in row])
        last = int(conn.execute("SELECT last_insert_rowid()").fetchone()[0])
        ids.extend(range(last - len(chunk) + 1, last + 1))
    return ids
