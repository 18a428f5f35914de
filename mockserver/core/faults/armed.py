"""The faults armed for the request being served, for the machinery past the edge.

The HTTP edge decides which fault rules fire on a request (``http/faults.py``); what the
edge cannot do itself (fail the job the request submits, spoil that job's webhook) it arms
here for the length of the request. ``Jobs.submit`` reads ``armed()``: a context variable,
so it follows the request into connexion's worker threads and never leaks to another one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

JOB_ACTIONS = ("fail",)
"""What a rule may do to the job a request submits."""
WEBHOOK_ACTIONS = ("fail", "late", "twice", "out_of_order")
"""What a rule may do to the webhook of the job a request submits: never arrive (recorded
as failed), arrive ``seconds`` late on the mock's clock, arrive twice (same message id),
or arrive after a later delivery of the same provider."""


@dataclass(frozen=True)
class JobFault:
    """Fail the job the request submits (``rule``: the fault rule's id)."""

    rule: int
    action: str = "fail"


@dataclass(frozen=True)
class WebhookFault:
    """Spoil the webhook of the job the request submits."""

    rule: int
    action: str
    seconds: float = 0.0
    """How late (``late``), or the longest a delivery is held back (``out_of_order``)."""


@dataclass(frozen=True)
class Armed:
    """Faults armed for one request; empty by default."""

    job: JobFault | None = None
    webhook: WebhookFault | None = None


NOTHING_ARMED = Armed()
_ARMED: ContextVar[Armed | None] = ContextVar("mockserver_armed_faults", default=None)


def armed() -> Armed:
    """The faults armed for the request being served (none outside a request)."""
    return _ARMED.get() or NOTHING_ARMED


@contextmanager
def arming(faults: Armed) -> Iterator[None]:
    """Arm ``faults`` for the code run inside the ``with`` block."""
    token = _ARMED.set(faults)
    try:
        yield
    finally:
        _ARMED.reset(token)
