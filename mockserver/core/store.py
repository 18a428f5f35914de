"""The one database of a server run: one interface, two backends.

``Store(state)`` opens the backend that ``state`` names, as ``pathlib.Path`` picks its flavour:
a ``postgresql://`` URL opens PostgreSQL (``stores/postgres.py``, a mock shared by several
servers and hosts); anything else is an SQLite file or ``:memory:`` (``stores/sqlite.py``,
the embedded default). Both run the same SQL: the modules write SQLite's dialect where it is
also standard (``?`` placeholders, ``INTEGER``/``REAL``/``BLOB`` columns, ``AUTOINCREMENT``
ids, ``INSERT ... RETURNING id``, ``ON CONFLICT ... DO NOTHING``), and the PostgreSQL backend
translates what is mechanical.

Every table the server uses is declared by a migration registered here (shared machinery)
or by a provider's model module. A ``transaction`` is the unit of consistency: one writer at
a time across every server of the database (SQLite's ``BEGIN IMMEDIATE``, PostgreSQL's
transaction-level advisory lock), and statements of this thread inside it join it.

The database holds API keys only as salted digests (``keys``, see ``keyhash``).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from mockserver.core.deferred import INTERVAL, Deferred, DeferredWrites, InsertRows
from mockserver.core.keyhash import SALT_META, KeyHasher
from mockserver.core.marks import Backlogs

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

_ADDED_COLUMNS = {"journal": ("local_path TEXT", "route TEXT", "faults TEXT")}
"""Columns added after a table first shipped: a state file from before gets them on open."""

LEASE_META = "lease.background"
"""The ``meta`` row of the background loops' lease (``lease.py``)."""

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
"""How a ``--state`` names a PostgreSQL database (a libpq URL)."""


class Row(Protocol):
    """A fetched row: by column name or position (``sqlite3.Row`` and the PostgreSQL row)."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    """What a statement returns: its rows and how many rows it changed."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """The connection a ``transaction`` block runs its statements on."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Any: ...

    def executemany(self, sql: str, parameters: Sequence[Sequence[Any]], /) -> Any: ...


def is_postgres(state: str) -> bool:
    """Whether ``--state`` names a PostgreSQL database."""
    return state.startswith(POSTGRES_SCHEMES)


class Store(ABC):
    """The server's database; ``Store(state)`` is the backend ``state`` names."""

    KEPT_ON_RESET = frozenset({SALT_META, LEASE_META})
    """``meta`` rows that ``reset`` keeps: without its salt, a database's digests match
    nothing; the lease stays with the worker that holds it."""
    kind: str
    """What holds the state: ``file``, ``memory`` or ``postgresql`` (``/_mock/health``)."""
    path: str
    """Where the state is, fit to print (a URL without its password)."""
    keys: KeyHasher
    _session: Connection
    """The connection a ``transaction`` block runs its statements on."""

    def __new__(cls, state: str, defer_interval: float = INTERVAL) -> Store:
        if cls is Store:
            from mockserver.core.stores import backend_for
            cls = backend_for(state)
        return super().__new__(cls)

    def __init__(self, state: str, defer_interval: float = INTERVAL) -> None:
        self._lock = threading.RLock()
        """Held by the thread using the connection (for a whole transaction)."""
        self._depth = 0
        """How many ``transaction`` blocks the holding thread is in."""
        self._owner = 0
        """The thread whose transaction is open (when ``_depth`` > 0)."""
        self._deferred = DeferredWrites(self.transaction, defer_interval,
                                        insert_rows=self._bulk_inserts())
        self._resets = 0

    # --- what each backend implements -------------------------------------------------
    def _bulk_inserts(self) -> InsertRows | None:
        """How this backend inserts many rows of one ``INSERT ... RETURNING id`` at once
        (deferred journal rows); None: one by one."""
        return None


    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        """Run one statement outside an explicit transaction (autocommit), or inside this
        thread's open ``transaction``."""

    @abstractmethod
    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """Fetch the first row of a query, or None."""

    @abstractmethod
    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Fetch every row of a query."""

    @abstractmethod
    def _begin(self) -> None:
        """Begin a transaction on ``_session`` as the database's only writer."""

    @abstractmethod
    def _finish(self, commit: bool) -> None:
        """Commit (or roll back) the open transaction."""

    @abstractmethod
    def tables(self) -> list[str]:
        """Names of the user tables, for reset and inspection."""

    @abstractmethod
    def _disconnect(self) -> None:
        """Close the connection."""

    @abstractmethod
    def _data_version(self) -> int:
        """A number that changes when another connection committed (SQLite's
        ``data_version``); a backend that cannot tell returns a new number every time."""

    @abstractmethod
    def try_hold(self, name: str) -> bool:
        """Take the lock ``name`` if no other process holds it (True: it is this store's
        until ``let_go`` or until the process ends, even by ``kill -9``). For a lease that
        needs no expiry: PostgreSQL's session advisory lock, a lock file beside SQLite's."""

    @abstractmethod
    def let_go(self, name: str) -> None:
        """Release the lock ``name`` if this store holds it."""

    def _dialect(self, ddl: str) -> str:
        """One DDL statement (SQLite's column types) in the backend's dialect."""
        return ddl

    @abstractmethod
    def _columns(self, table: str) -> set[str]:
        """The column names of ``table``."""

    @abstractmethod
    def _empty(self, conn: Connection, tables: Sequence[str]) -> None:
        """Delete every row of ``tables`` (inside ``reset``'s transaction); ids start at 1."""

    def _legacy_keys(self, conn: Connection, keys: KeyHasher) -> bool:
        """Hash the clear keys of a database from before keys were hashed; whether it was."""
        return False

    def _after_legacy_keys(self) -> None:
        """Scrub what a legacy migration left behind (old pages)."""
        return None  # a backend without legacy files leaves nothing behind

    # --- the same on every backend ------------------------------------------------------

    def _open(self) -> None:
        """Create the shared tables and read (or make) the key salt: a backend's
        ``__init__`` calls this once its connection is up."""
        self.migrate(_SHARED_SCHEMA, _ADDED_COLUMNS)
        self.keys = self._open_keys()

    def _open_keys(self) -> KeyHasher:
        """The database's key hasher: its salt, created (and a legacy file's keys hashed) on
        the first open."""
        with self.transaction() as conn:
            saved = conn.execute("SELECT value FROM meta WHERE key = ?", (SALT_META,)).fetchone()
            if saved is not None:
                return KeyHasher(bytes.fromhex(saved[0]))
            keys = KeyHasher.new()
            legacy = self._legacy_keys(conn, keys)
            if not legacy and conn.execute("SELECT 1 FROM accounts LIMIT 1").fetchone():
                raise ValueError(f"state {self.path}: its key salt is missing, so its accounts"
                                 " cannot be matched to keys; use a fresh --state file")
            conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (SALT_META, keys.salt_hex))
        if legacy:
            self._after_legacy_keys()
        return keys

    def migrate(self, ddl: str, added: Mapping[str, tuple[str, ...]] | None = None) -> None:
        """Apply idempotent DDL (``CREATE ... IF NOT EXISTS``), then give the tables the
        ``added`` columns (declared in the DDL too) that a database from before lacks."""
        with self.transaction():
            for statement in statements(ddl):
                self.execute(self._dialect(statement))
            for table, columns in (added or {}).items():
                have = self._columns(table)
                for column in columns:
                    if column.split()[0] not in have:
                        self.execute(self._dialect(f'ALTER TABLE "{table}" ADD COLUMN {column}'))

    def defer(self, sql: str, params: Sequence[Any] = ()) -> Deferred:
        """Queue a write no answer depends on (a journal row): written in a batch, off the
        request path (``deferred``); a reader that must see it calls ``flush`` first."""
        return self._deferred.add(sql, params)

    def flush(self, everywhere: bool = True) -> None:
        """Write the deferred statements now; ``everywhere``: the other workers' too, when
        this store's queue is shared (``share_queue``)."""
        self._deferred.flush(everywhere)

    def share_queue(self, backlogs: Backlogs) -> None:
        """This store is one worker's of several on one file: a flush also writes the other
        workers' deferred statements (``marks.Backlogs``)."""
        self._deferred.share(backlogs)

    @property
    def in_transaction(self) -> bool:
        """Whether this thread's work is inside an open ``transaction`` (not yet committed)."""
        return self._depth > 0 and self._owner == threading.get_ident()

    def revision(self) -> tuple[int, int]:
        """Changes when the database may have changed under a cache: another connection
        (process, server) committed, or this store was reset. Two equal revisions: nothing
        changed but this connection's own writes."""
        with self._lock:
            return self._data_version(), self._resets

    def close(self) -> None:
        """Write the deferred statements and close the connection."""
        self._deferred.close()
        self._disconnect()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """Hold the lock and run the block in one transaction, the only writer of the
        database meanwhile.

        Nested calls join the outer transaction, so a piece of shared machinery can be
        used inside a provider's larger unit of work (e.g. idempotent submit + new task).
        """
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._begin()
                self._owner = threading.get_ident()
            self._depth += 1
            try:
                yield self._session
            except BaseException:
                self._depth -= 1
                if outer:
                    self._finish(commit=False)
                raise
            self._depth -= 1
            if outer:
                self._finish(commit=True)

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each of ``rows``, all in one transaction."""
        with self.transaction() as conn:
            conn.executemany(sql, rows)

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row of a query (an aggregate), or None."""
        row = self.one(sql, params)
        return None if row is None else row[0]

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
            conn.execute(f"DELETE FROM meta WHERE key NOT IN ({', '.join('?' * len(kept))})", kept)
            self._empty(conn, [table for table in tables if table != "meta"])
            self._resets += 1
        return tables


def statements(ddl: str) -> list[str]:
    """The statements of a DDL script (no ``;`` inside the DDL's own text)."""
    return [each.strip() for each in ddl.split(";") if each.strip()]
