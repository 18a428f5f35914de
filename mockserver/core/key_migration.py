"""State files written before keys were hashed: their clear keys are hashed in place when
the file is opened, so an upgrade keeps every account, task and idempotency record.

Such a file is recognised by its ``accounts.api_key`` column (now ``key_hash``). The
migration runs in the transaction that stores the new salt, so it happens whole or not at
all; afterwards the file is vacuumed and its WAL truncated, so no page keeps an old key.
"""

from __future__ import annotations

import sqlite3

from mockserver.core.keyhash import KeyHasher, redact_query

OWNER_COLUMNS = (("tasks", "owner"), ("idempotency", "owner"))
"""Columns that name an account by its key, besides ``accounts`` itself."""


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')}


def is_legacy(conn: sqlite3.Connection) -> bool:
    """Whether the file keeps keys in clear (an ``accounts.api_key`` column)."""
    return "api_key" in _columns(conn, "accounts")


def hash_clear_keys(conn: sqlite3.Connection, keys: KeyHasher) -> None:
    """Replace every clear key in a legacy file by its digest (labels recomputed, keys in
    the journal's stored query strings redacted). Call inside a transaction."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.create_function("mock_key_digest", 1, keys.digest, deterministic=True)
    conn.create_function("mock_key_label", 1, keys.label, deterministic=True)
    conn.execute("ALTER TABLE accounts RENAME COLUMN api_key TO key_hash")
    # Every expression reads the row as it was, so the label is made from the clear key.
    conn.execute("UPDATE accounts SET name = provider || ' account ' || mock_key_label(key_hash),"
                 " key_hash = mock_key_digest(key_hash)")
    for table, column in OWNER_COLUMNS:
        if table in tables:
            conn.execute(f'UPDATE "{table}" SET "{column}" = mock_key_digest("{column}")')
    if "journal" in tables:
        rows = conn.execute("SELECT id, query FROM journal WHERE query LIKE '%=%'").fetchall()
        for row_id, query in rows:
            redacted = redact_query(query, keys.label)
            if redacted != query:
                conn.execute("UPDATE journal SET query = ? WHERE id = ?", (redacted, row_id))
