"""The backends of ``core.store.Store``: SQLite (embedded, the default) and PostgreSQL."""

from __future__ import annotations

from mockserver.core.deferred import INTERVAL
from mockserver.core.store import Store, is_postgres


def backend_for(state: str) -> type[Store]:
    """The ``Store`` class that opens ``state`` (a PostgreSQL URL, else an SQLite path)."""
    if is_postgres(state):
        from mockserver.core.stores.postgres import PostgresStore
        return PostgresStore
    from mockserver.core.stores.sqlite import SqliteStore
    return SqliteStore


def open_store(state: str, defer_interval: float = INTERVAL) -> Store:
    """The store ``state`` names, opened (what ``Store(state)`` does, spelled for the type
    checker: ``Store`` itself is abstract)."""
    return backend_for(state)(state, defer_interval)
