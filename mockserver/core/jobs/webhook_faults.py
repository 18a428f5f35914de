"""What a webhook fault armed at submission does to the task's delivery when it is queued.

``fail``: recorded as failed, never sent. ``late``: the first attempt ``seconds`` later on
the mock's clock. ``twice``: two deliveries of the same body and headers (one message id).
``out_of_order``: held back until a later delivery of the same provider has been delivered,
but at most ``seconds`` (``OUT_OF_ORDER_SECONDS`` when the rule gives none).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mockserver.core.faults.armed import WebhookFault

OUT_OF_ORDER_SECONDS = 60.0
"""The longest an ``out_of_order`` delivery waits for a later one, unless the rule says."""


@dataclass(frozen=True)
class QueuedAs:
    """How a delivery goes into the queue."""

    failed: bool = False
    """Recorded as failed at once (never sent)."""
    delay: float = 0.0
    """Seconds of mock time before its first attempt."""
    copies: int = 1
    """How many identical deliveries are queued."""
    held: bool = False
    """Sent early once a later delivery of the same provider was delivered."""
    attempts: list[dict[str, Any]] = field(default_factory=list)
    """Attempts recorded at once (the reason a failed one was never sent)."""


def queued_as(fault: WebhookFault | None, at: str) -> QueuedAs:
    """How a delivery with ``fault`` is queued at ``at`` (the clock's ISO time)."""
    if fault is None:
        return QueuedAs()
    if fault.action == "fail":
        return QueuedAs(failed=True, attempts=[
            {"at": at, "error": f"fault rule {fault.rule}: not delivered on purpose"}])
    if fault.action == "late":
        return QueuedAs(delay=max(fault.seconds, 0.0))
    if fault.action == "twice":
        return QueuedAs(copies=2)
    if fault.action == "out_of_order":
        return QueuedAs(delay=fault.seconds if fault.seconds > 0 else OUT_OF_ORDER_SECONDS,
                        held=True)
    raise ValueError(f"unknown webhook fault action {fault.action!r}")
