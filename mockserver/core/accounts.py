"""Accounts behind API keys, and their balance in the provider's unit (tokens, credits).

By default any non-empty key is accepted and gets its own account on first use; a key list
(``--api-key`` or the config file) limits the server to known keys. The table holds each key
as its salted digest and a redacted label (``Store.keys``), never in clear.

Accounts read on every request (the key check, ``GET /accountDetails``) come from memory:
rows are kept as last read from the file, a charge drops its account's copy (the next read
takes the committed row), and the whole copy is dropped when the file changed under it
(another process committed, or a reset). The file stays the truth; balances stay exact.
"""

from __future__ import annotations

from dataclasses import dataclass

from mockserver.core.clock import Clock
from mockserver.core.errors import InsufficientBalance
from mockserver.core.settings import Settings
from mockserver.core.store import Row, Store

DEFAULT_BALANCE = 1_000_000
ACCOUNTS_KEPT = 1024
"""Accounts kept in memory (all dropped at once when full: memory stays bounded)."""


@dataclass(frozen=True)
class Account:
    """One account as stored; ``balance`` is what is left, ``used`` what was spent."""

    id: int
    provider: str
    name: str
    balance: int
    used: int
    created_at: str


class Accounts:
    """Key policy and balances for every provider, stored in the ``accounts`` table."""

    def __init__(self, store: Store, settings: Settings, clock: Clock) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self._kept: dict[tuple[str, str], Account] = {}
        self._revision = (-1, -1)

    def is_known_key(self, provider: str, key: str) -> bool:
        """Whether ``key`` may be used with ``provider`` under the configured key policy."""
        if not key:
            return False
        allowed = self._settings.allowed_keys(provider)
        return allowed is None or key in allowed

    def starting_balance(self, provider: str) -> int:
        """The balance a new account starts with (config ``providers.<name>.balance``)."""
        return int(self._settings.provider_config(provider).get("balance", DEFAULT_BALANCE))

    def get_or_create(self, provider: str, key: str) -> Account:
        """The account for a key, created (with the starting balance) on first use."""
        digest = self._store.keys.digest(key)
        revision = self._store.revision()
        if revision != self._revision:
            self._kept.clear()
            self._revision = revision
        kept = self._kept.get((provider, digest))
        if kept is not None:
            return kept
        account = _account(self._ensure(provider, key))
        if not self._store.in_transaction:  # an uncommitted row may yet be rolled back
            if len(self._kept) >= ACCOUNTS_KEPT:
                self._kept.clear()
            self._kept[(provider, digest)] = account
        return account

    def _ensure(self, provider: str, key: str) -> Row:
        digest = self._store.keys.digest(key)
        row = self._row(provider, digest)
        if row is None:
            with self._store.transaction() as conn:
                conn.execute(
                    "INSERT INTO accounts (provider, key_hash, name, balance,"
                    " created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (provider, digest, f"{provider} account {self._store.keys.label(key)}",
                     self.starting_balance(provider), self._clock.isoformat()),
                )
            row = self._row(provider, digest)
        assert row is not None
        return row

    def charge(self, provider: str, key: str, amount: int, unit: str) -> Account:
        """Take ``amount`` from the account, or raise ``InsufficientBalance`` if the balance
        does not cover it."""
        account = self._ensure(provider, key)
        # dropped before and after: the charge may be rolled back with a larger transaction
        self._kept.pop((provider, account["key_hash"]), None)
        with self._store.transaction() as conn:
            cur = conn.execute(
                "UPDATE accounts SET balance = balance - ?, used = used + ?"
                " WHERE id = ? AND balance >= ?",
                (amount, amount, account["id"], amount),
            )
            if cur.rowcount == 0:
                now = self._row(provider, account["key_hash"])
                assert now is not None  # the account exists; only its balance was short
                balance = now["balance"]
                raise InsufficientBalance(unit, amount, balance)
        self._kept.pop((provider, account["key_hash"]), None)
        row = self._row(provider, account["key_hash"])
        assert row is not None
        return _account(row)

    def list(self, provider: str | None = None) -> list[Account]:
        """Every account (of one provider), oldest first."""
        rows = self._store.all(
            "SELECT * FROM accounts WHERE ? IS NULL OR provider = ? ORDER BY id",
            (provider, provider))
        return [_account(row) for row in rows]

    def _row(self, provider: str, digest: str) -> Row | None:
        return self._store.one(
            "SELECT * FROM accounts WHERE provider = ? AND key_hash = ?", (provider, digest)
        )


def _account(row: Row) -> Account:
    return Account(
        id=row["id"], provider=row["provider"], name=row["name"], balance=row["balance"],
        used=row["used"], created_at=row["created_at"],
    )
