"""A lease in the store: which worker of ``serve --workers N`` runs the background loops.

The lease is a ``meta`` row naming its holder and when it expires. The holder renews it
well before then; any worker takes it over once it has expired (its holder died, even by
``kill -9``) or was released (its holder stopped cleanly). Leases run on the wall clock,
not the mock's: a manual clock stands still, and the lease is about processes being alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from mockserver.core.store import LEASE_META, Store

logger = logging.getLogger("mockserver.lease")

def worker_id() -> str:
    """A name for this process, unique across restarts and hosts."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    """The background loops' lease, held (or wanted) by this worker."""

    def __init__(self, store: Store, holder: str, seconds: float = 3.0) -> None:
        self.store = store
        self.holder = holder
        self.seconds = seconds
        self.held = False

    def acquire(self) -> bool:
        """Take the lease if it is free or expired, renew it if held; whether it is ours."""
        now = time.time()
        with self.store.transaction() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (LEASE_META,)).fetchone()
            current = _parse(row[0]) if row else None
            if current and current["holder"] != self.holder and current["expires_at"] > now:
                self.held = False
                return False
            value = json.dumps({"holder": self.holder, "expires_at": now + self.seconds})
            conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key)"
                         " DO UPDATE SET value = excluded.value", (LEASE_META, value))
        self.held = True
        return True

    def release(self) -> None:
        """Give the lease up now (a clean stop), so another worker takes over at once."""
        with self.store.transaction() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (LEASE_META,)).fetchone()
            current = _parse(row[0]) if row else None
            if current and current["holder"] == self.holder:
                conn.execute("DELETE FROM meta WHERE key = ?", (LEASE_META,))
        self.held = False

    def describe(self) -> dict[str, Any] | None:
        """The lease as stored: holder, its pid, seconds until it expires; None if free."""
        value = self.store.get_meta(LEASE_META)
        current = _parse(value) if value else None
        if current is None:
            return None
        pid = str(current["holder"]).split(":")[-2:-1]
        return {"holder": current["holder"], "pid": int(pid[0]) if pid else None,
                "expires_in": round(current["expires_at"] - time.time(), 3)}

    async def hold(self, run: Callable[[], Awaitable[object]]) -> None:
        """Run ``run()`` for as long as this worker holds the lease, trying to take it every
        third of its length; until cancelled (then the lease is released)."""
        task: asyncio.Task[object] | None = None
        try:
            while True:
                try:
                    ours = self.acquire()
                except Exception:  # the store is busy or failing: count it as lost
                    logger.exception("lease renewal failed")
                    ours = False
                if ours and task is None:
                    task = asyncio.ensure_future(run())
                elif not ours and task is not None:
                    await _cancel(task)
                    task = None
                await asyncio.sleep(self.seconds / 3)
        finally:
            if task is not None:
                await _cancel(task)
            with contextlib.suppress(Exception):
                self.release()


async def _cancel(task: asyncio.Task[object]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _parse(value: str) -> dict[str, Any] | None:
    """A stored lease, or None for a damaged row (then it counts as free)."""
    try:
        data = json.loads(value)
        return {"holder": str(data["holder"]), "expires_at": float(data["expires_at"])}
    except (ValueError, KeyError, TypeError):
        return None
