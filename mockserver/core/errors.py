"""What the shared core refuses, as typed domain errors (no HTTP here).

The edge turns each into a response: ``http.errors`` holds the default status and message
for each class, and a provider's ``errors`` module may give its own documented body.
"""

from __future__ import annotations

from mockserver.core.jobs.targets import Refusal


class DomainError(Exception):
    """Something the core refuses to do; ``str()`` is a message that names the problem."""


class InsufficientBalance(DomainError):
    """The account's balance does not cover a charge."""

    def __init__(self, unit: str, needed: int, balance: int) -> None:
        super().__init__(f"insufficient {unit}: this request needs {needed},"
                         f" the account has {balance}")
        self.unit = unit
        self.needed = needed
        self.balance = balance


class IdempotencyConflict(DomainError):
    """An idempotency key was used again with a different request."""

    def __init__(self) -> None:
        super().__init__("the idempotency key was already used with a different request")


class CallbackRefused(DomainError):
    """A submission's callback URL is not a webhook target (``refusal`` says why)."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal


class LinkRefused(DomainError):
    """A signed file link that is malformed, forged or expired."""


class FileNotFound(DomainError):
    """A file link that names no file (or no provider serving files)."""
