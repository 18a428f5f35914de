"""Idempotency keys: a replay returns the original response; a changed body is a conflict.

``Jobs.submit`` calls ``replay`` inside the store transaction that also does the work, so a
key is claimed and its response stored atomically; keys survive restarts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from mockserver.core.errors import IdempotencyConflict
from mockserver.core.store import Store

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS idempotency (
    provider TEXT NOT NULL,
    owner TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (provider, owner, key)
);
"""


def fingerprint(request: Any) -> str:
    """A stable hash of a request body (canonical JSON)."""
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Stored:
    """The original response to an idempotency key."""

    status: int
    body: Any


class Idempotency:
    """Idempotency records in SQLite, per provider and account (``owner``: the API key,
    stored as its digest)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.migrate(SCHEMA_SQL)

    def replay(self, provider: str, owner: str, key: str, request: Any) -> Stored | None:
        """The stored response for this key, None for a new key; ``IdempotencyConflict``
        when the key was used with another request."""
        row = self.store.one(
            "SELECT * FROM idempotency WHERE provider = ? AND owner = ? AND key = ?",
            (provider, self.store.keys.digest(owner), key))
        if row is None:
            return None
        if row["fingerprint"] != fingerprint(request):
            raise IdempotencyConflict()
        return Stored(row["status"], json.loads(row["body"]))

    def remember(self, provider: str, owner: str, key: str, request: Any, status: int,
                 body: Any, at: float) -> None:
        """Store the response to a new key."""
        self.store.execute(
            "INSERT INTO idempotency (provider, owner, key, fingerprint, status, body,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (provider, self.store.keys.digest(owner), key, fingerprint(request), status,
             json.dumps(body), at))
