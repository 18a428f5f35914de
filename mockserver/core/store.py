"""The one SQLite database: connection, schema migrations, small query helpers.

Every table the server uses is declared by a migration registered here (shared machinery)
or by a provider's model module. SQLite access is serialised by one lock: the server's
write volume is small, and one connection in WAL mode keeps restarts lossless.

The file is readable by its owner only (mode 0600, as are SQLite's ``-wal`` and ``-shm``
files, which take the database's mode), and holds API keys only as salted digests
(``keys``, see ``keyhash``); a file from before that is migrated when opened.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mockserver.core.deferred import INTERVAL, Deferred, DeferredWrites
from mockserver.core.key_migration import hash_clear_keys, is_legacy
from mockserver.core.keyhash import SALT_META, KeyHasher

_SHARED_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    name TEXT NOT NULL,
    balance INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (provider, key_hash)
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    provider TEXT,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    query TEXT NOT NULL,
    status INTEGER NOT NULL,
    headers TEXT NOT NULL,
    body TEXT NOT NULL,
    elapsed_ms REAL NOT NULL,
    local_path TEXT,
    route TEXT,
    faults TEXT
);
"""

LEASE_META = "lease.background"
"""The ``meta`` row of the background loops' lease (``lease.py``)."""

_ADDED_COLUMNS = {"journal": ("local_path TEXT", "route TEXT", "faults TEXT")}
"""Columns added after a table first shipped: a state file from before gets them on open."""


class Store:
    """A thread-safe wrapper around one SQLite connection."""

    KEPT_ON_RESET = frozenset({SALT_META, LEASE_META})
    """``meta`` rows that ``reset`` keeps: without its salt, a file's digests match nothing;
    the lease stays with the worker that holds it."""

    def __init__(self, path: str, defer_interval: float = INTERVAL) -> None:
        if path != ":memory:":
            _create_private(Path(path))
        self.path = path
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._depth = 0
        self._owner = 0
        """The thread whose transaction is open (when ``_depth`` > 0)."""
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self.migrate(_SHARED_SCHEMA, _ADDED_COLUMNS)
        self.keys = self._open_keys()
        self._deferred = DeferredWrites(self.transaction, defer_interval)
        self._resets = 0

    def _open_keys(self) -> KeyHasher:
        """The file's key hasher: its salt, created (and a legacy file's keys hashed) on the
        first open."""
        with self.transaction() as conn:
            saved = conn.execute("SELECT value FROM meta WHERE key = ?", (SALT_META,)).fetchone()
            if saved is not None:
                return KeyHasher(bytes.fromhex(saved[0]))
            if conn.execute("SELECT 1 FROM accounts LIMIT 1").fetchone() and not is_legacy(conn):
                raise ValueError(f"state file {self.path}: its key salt is missing, so its"
                                 " accounts cannot be matched to keys; use a fresh --state file")
            keys = KeyHasher.new()
            legacy = is_legacy(conn)
            if legacy:
                hash_clear_keys(conn, keys)
            conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (SALT_META, keys.salt_hex))
        if legacy:  # rewrite every page and empty the WAL: no old copy of a key stays behind
            with self._lock:
                self._conn.execute("VACUUM")
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return keys

    def _add_columns(self, added: Mapping[str, tuple[str, ...]]) -> None:
        for table, columns in added.items():
            have = {row["name"] for row in self.all(f'PRAGMA table_info("{table}")')}
            for column in columns:
                if column.split()[0] not in have:
                    self.execute(f'ALTER TABLE "{table}" ADD COLUMN {column}')

    def migrate(self, ddl: str, added: Mapping[str, tuple[str, ...]] | None = None) -> None:
        """Apply idempotent DDL (``CREATE ... IF NOT EXISTS``), then give the tables the
        ``added`` columns (declared in the DDL too) that a state file from before lacks."""
        with self._lock:
            self._conn.executescript(ddl)
        if added:
            self._add_columns(added)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        """Run one statement outside an explicit transaction (autocommit)."""
        with self._lock:
            return self._conn.execute(sql, params)

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each of ``rows``, all in one transaction."""
        with self.transaction() as conn:
            conn.executemany(sql, rows)

    def defer(self, sql: str, params: Sequence[Any] = ()) -> Deferred:
        """Queue a write no answer depends on (a journal row): written in a batch, off the
        request path (``deferred``); a reader that must see it calls ``flush`` first."""
        return self._deferred.add(sql, params)

    def flush(self) -> None:
        """Write the deferred statements now."""
        self._deferred.flush()

    def one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        """Fetch the first row of a query, or None."""
        with self._lock:
            row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
            return row

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row of a query (an aggregate), or None."""
        row = self.one(sql, params)
        return None if row is None else row[0]

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Fetch every row of a query."""
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and run the block in one IMMEDIATE transaction.

        Nested calls join the outer transaction, so a piece of shared machinery can be
        used inside a provider's larger unit of work (e.g. idempotent submit + new task).
        """
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
                self._owner = threading.get_ident()
            self._depth += 1
            try:
                yield self._conn
            except BaseException:
                self._depth -= 1
                if outer:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._conn.execute("COMMIT")

    @property
    def in_transaction(self) -> bool:
        """Whether this thread's work is inside an open ``transaction`` (not yet committed)."""
        return self._depth > 0 and self._owner == threading.get_ident()

    def revision(self) -> tuple[int, int]:
        """Changes when the file may have changed under a cache: another connection (process)
        committed, or this store was reset. Two equal revisions: nothing changed but this
        connection's own writes."""
        with self._lock:
            version = self._conn.execute("PRAGMA data_version").fetchone()[0]
            return int(version), self._resets

    def get_meta(self, key: str) -> str | None:
        """A value from the ``meta`` table (server-wide settings that survive restarts)."""
        row = self.one("SELECT value FROM meta WHERE key = ?", (key,))
        return row["value"] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Store a value in the ``meta`` table."""
        self.execute("INSERT INTO meta (key, value) VALUES (?, ?)"
                     " ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    def reset(self) -> list[str]:
        """Empty every table (``meta`` keeps ``KEPT_ON_RESET``); the names of the tables."""
        self.flush()  # rows queued before the reset are emptied by it, not written after it
        tables = self.tables()
        kept = sorted(self.KEPT_ON_RESET)
        with self.transaction() as conn:
            for table in tables:
                if table == "meta":
                    conn.execute(f"DELETE FROM meta WHERE key NOT IN ({', '.join('?' * len(kept))})",
                                 kept)
                else:
                    conn.execute(f'DELETE FROM "{table}"')
            if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone():
                conn.execute("DELETE FROM sqlite_sequence")
            self._resets += 1
        return tables

    def tables(self) -> list[str]:
        """Names of the user tables, for reset and inspection."""
        rows = self.all("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
        return [r["name"] for r in rows]

    def close(self) -> None:
        """Write the deferred statements and close the connection."""
        self._deferred.close()
        with self._lock:
            self._conn.close()


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
