"""Accounts behind API keys, and their balance in the provider's unit (tokens, credits).

By default any non-empty key is accepted and gets its own account on first use; a key list
(``--api-key`` or the config file) limits the server to known keys.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .errors import ApiError
from .jobs.clock import Clock
from .settings import Settings
from .store import Store

DEFAULT_BALANCE = 1_000_000


@dataclass(frozen=True)
class Account:
    """One account as stored; ``balance`` is what is left, ``used`` what was spent."""

    id: int
    provider: str
    name: str
    balance: int
    used: int
    created_at: str


def redact(key: str) -> str:
    """A key as it may appear in logs and the journal: a short prefix and a fingerprint."""
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{key[:3]}…[{digest}]"


class Accounts:
    """Key policy and balances for every provider, stored in the ``accounts`` table."""

    def __init__(self, store: Store, settings: Settings, clock: Clock) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock

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
        row = self._row(provider, key)
        if row is None:
            with self._store.transaction() as conn:
                conn.execute(
                    "INSERT OR IGNORE INTO accounts (provider, api_key, name, balance, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (provider, key, f"{provider} account {redact(key)}",
                     self.starting_balance(provider), self._clock.isoformat()),
                )
            row = self._row(provider, key)
        assert row is not None
        return _account(row)

    def charge(self, provider: str, key: str, amount: int, unit: str) -> Account:
        """Take ``amount`` from the account, or raise a 402 if the balance does not cover it."""
        account = self.get_or_create(provider, key)
        with self._store.transaction() as conn:
            cur = conn.execute(
                "UPDATE accounts SET balance = balance - ?, used = used + ?"
                " WHERE id = ? AND balance >= ?",
                (amount, amount, account.id, amount),
            )
            if cur.rowcount == 0:
                raise ApiError(
                    402,
                    f"insufficient {unit}: this request needs {amount},"
                    f" the account has {self._row(provider, key)['balance']}",
                )
        row = self._row(provider, key)
        assert row is not None
        return _account(row)

    def list(self, provider: str | None = None) -> list[Account]:
        """Every account (of one provider), oldest first."""
        rows = self._store.all(
            "SELECT * FROM accounts WHERE ? IS NULL OR provider = ? ORDER BY id",
            (provider, provider))
        return [_account(row) for row in rows]

    def _row(self, provider: str, key: str):
        return self._store.one(
            "SELECT * FROM accounts WHERE provider = ? AND api_key = ?", (provider, key)
        )


def _account(row) -> Account:
    return Account(
        id=row["id"], provider=row["provider"], name=row["name"], balance=row["balance"],
        used=row["used"], created_at=row["created_at"],
    )
