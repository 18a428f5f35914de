"""Webhook deliveries: queued in SQLite, sent in the background, retried with backoff.

Deliveries never slow a request: handlers only enqueue; an asyncio loop sends them with
httpx, each attempt in its own task. Every attempt is recorded (``GET /_mock/webhooks``).
Pending deliveries survive a restart (at-least-once: receivers dedupe on the message id).
Which URLs may be called is ``targets.TargetPolicy``'s to say, checked again before every
attempt; an attempt that fails in any way is recorded with its reason and retried per policy,
so no delivery stays pending after its attempts. A webhook fault armed when the task was
submitted changes how its delivery is queued (``webhook_faults``); the record names the rule.

One sender runs per server (with ``serve --workers N``, the worker holding the lease,
``core/lease.py``). Before an attempt starts, its delivery is claimed in a transaction
(``claimed_by``, ``claimed_until`` on the wall clock): a sender that lost the lease while
stalled cannot send a delivery the new holder is sending; a claim left by a killed sender
expires after the attempt's timeout and the lease's length, and the delivery is sent again.
"""

from __future__ import annotations

import asyncio
import base64
import builtins
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx

from mockserver.core.clock import Clock
from mockserver.core.faults.armed import WebhookFault
from mockserver.core.jobs.targets import TargetPolicy, target_refusal
from mockserver.core.jobs.wakeup import Wakeup
from mockserver.core.jobs.webhook_faults import QueuedAs, queued_as
from mockserver.core.store import Store

__all__ = ["BLOCKED", "DELIVERED", "DELIVERY_FAILED", "Delivery", "PENDING", "Webhooks",
           "standard_webhook_headers", "target_refusal"]

logger = logging.getLogger("mockserver.webhooks")

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider TEXT NOT NULL,
    task_id TEXT NOT NULL,
    url TEXT NOT NULL,
    body BLOB NOT NULL,
    headers TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts TEXT NOT NULL,
    next_at REAL NOT NULL,
    created_at REAL NOT NULL,
    fault INTEGER,
    held INTEGER NOT NULL DEFAULT 0,
    claimed_by TEXT,
    claimed_until REAL
);
CREATE INDEX IF NOT EXISTS webhook_due ON webhook_deliveries (state, next_at);
"""
ADDED_COLUMNS = {"webhook_deliveries": ("fault INTEGER", "held INTEGER NOT NULL DEFAULT 0",
                                        "claimed_by TEXT", "claimed_until REAL")}
"""Columns a state file from before this one lacks (added when it is opened)."""

PENDING, DELIVERED, DELIVERY_FAILED, BLOCKED = "pending", "delivered", "failed", "blocked"
"""A delivery's ``state``: waiting to be sent, sent, given up after its attempts, refused."""


def standard_webhook_headers(secret: str, message_id: str, timestamp: int,
                             body: bytes) -> dict[str, str]:
    """Standard Webhooks headers: id, timestamp and ``v1,<base64 HMAC-SHA256>`` signature."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    signature = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": f"v1,{signature}"}


@dataclass(frozen=True)
class Delivery:
    """One webhook and its attempts so far."""

    id: int
    provider: str
    task_id: str
    url: str
    body: bytes
    headers: dict[str, str]
    state: str
    attempts: list[dict[str, Any]]
    next_at: float
    damaged: str | None = None
    """Why the stored record cannot be sent as it is (e.g. headers that are not JSON)."""
    fault: int | None = None
    """The id of the fault rule that changed this delivery, if one did."""

    def describe(self) -> dict[str, Any]:
        """The admin view of a delivery."""
        try:
            payload: Any = json.loads(self.body)
        except ValueError:
            payload = self.body.decode("utf-8", "replace")
        return {"id": self.id, "provider": self.provider, "task_id": self.task_id,
                "url": self.url, "state": self.state, "attempts": self.attempts,
                "next_attempt_at": self.next_at if self.state == PENDING else None,
                "fault": self.fault, "headers": self.headers, "payload": payload}


class Webhooks:
    """The delivery queue and the background sender."""

    def __init__(self, store: Store, clock: Clock, *, max_attempts: int = 5,
                 backoff_seconds: float = 1.0, timeout_seconds: float = 10.0,
                 allow_public: bool = False, max_in_flight: int = 64,
                 worker: str = "", poll_seconds: float | None = None,
                 claim_seconds: float = 0.0) -> None:
        self.store = store
        self.clock = clock
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.timeout_seconds = timeout_seconds
        self.targets = TargetPolicy(allow_public)
        """Which URLs may be called: providers check callback URLs with it at submission."""
        self.max_in_flight = max_in_flight
        """Attempts running at once; other due deliveries wait their turn in SQLite."""
        self.worker = worker
        """Who claims the deliveries this process sends."""
        self.poll_seconds = poll_seconds
        """With other workers: look at the queue at least this often (their enqueues and
        clock advances do not wake this worker); None: a single worker."""
        self.claim_seconds = claim_seconds
        """How long a claim outlives the attempt's timeout (a killed sender's claim)."""
        self._in_flight: set[int] = set()
        self._attempts: set[asyncio.Task[None]] = set()
        self._wake = Wakeup()
        store.migrate(SCHEMA_SQL, ADDED_COLUMNS)
        clock.on_advance(self.wake)

    def enqueue(self, provider: str, task_id: str, url: str, body: bytes,
                headers: dict[str, str], fault: WebhookFault | None = None) -> int:
        """Queue a delivery as ``fault`` (if any) says; returns its (first) id. A refused
        target is recorded as blocked (no fault applies to it)."""
        now = self.clock.now()
        at = self.clock.isoformat(now)
        refusal = self.targets.check(url)
        if refusal is None:
            queued = queued_as(fault, at)
            state = DELIVERY_FAILED if queued.failed else PENDING
            attempts, rule = queued.attempts, fault.rule if fault else None
        else:
            queued = QueuedAs()
            state, attempts, rule = BLOCKED, [{"at": at, "error": f"blocked: {refusal.reason}"}], None
        with self.store.transaction() as conn:
            ids = [conn.execute(
                "INSERT INTO webhook_deliveries (provider, task_id, url, body, headers, state,"
                " attempts, next_at, created_at, fault, held)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (provider, task_id, url, body, json.dumps(headers), state, json.dumps(attempts),
                 now + queued.delay, now, rule, int(queued.held))).fetchone()[0]
                for _copy in range(queued.copies)]
        self.wake()
        return int(ids[0] or 0)

    def list(self, provider: str | None = None, limit: int = 100) -> list[Delivery]:
        """Deliveries, newest first."""
        sql = "SELECT * FROM webhook_deliveries"
        params: builtins.list[str | int] = []
        if provider:
            sql += " WHERE provider = ?"
            params.append(provider)
        sql += " ORDER BY id DESC LIMIT ?"
        params.append(limit)
        return [_delivery(r) for r in self.store.all(sql, params)]

    def wake(self) -> None:
        """Make the sender look at the queue now (thread-safe)."""
        self._wake.set()

    async def run(self) -> None:
        """Send due deliveries until cancelled."""
        self._wake.bind()
        # No proxies from the environment and no redirects: the sender connects to the
        # host the target policy judged, and to no other.
        if self.poll_seconds is None:  # the only sender: claims left by a killed run are void
            self.store.execute("UPDATE webhook_deliveries SET claimed_by = NULL,"
                               " claimed_until = NULL WHERE claimed_by IS NOT NULL")
        async with httpx.AsyncClient(timeout=self.timeout_seconds, trust_env=False,
                                     follow_redirects=False) as client:
            try:
                while True:
                    self._wake.clear()
                    try:
                        self._start_due(client)
                        await self._sleep_until_due()
                    except Exception:  # keep sending; the state is in SQLite
                        logger.exception("webhook sender round failed")
                        await self._wake.wait(self.clock.wait_seconds(None))
            finally:
                await self._stop_attempts()

    def _start_due(self, client: httpx.AsyncClient) -> None:
        for delivery in self._claim(self._due()):
            self._in_flight.add(delivery.id)
            task = asyncio.create_task(self._attempt(client, delivery))
            self._attempts.add(task)  # the loop only keeps weak references
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._attempts.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("webhook attempt failed", exc_info=task.exception())

    def _due(self) -> builtins.list[Delivery]:
        """Due deliveries not in flight, as many as may start now."""
        room = self.max_in_flight - len(self._in_flight)
        if room <= 0:
            return []
        rows = self.store.all(
            "SELECT * FROM webhook_deliveries WHERE state = ? AND next_at <= ?"
            " AND (claimed_until IS NULL OR claimed_until < ?)"
            f"{self._not_in_flight()} ORDER BY next_at, id LIMIT ?",
            (PENDING, self.clock.now(), time.time(), *self._in_flight, room))
        return [_delivery(row) for row in rows]

    def _claim(self, due: builtins.list[Delivery]) -> builtins.list[Delivery]:
        """The deliveries of ``due`` this sender claimed (no other sender claimed them
        meanwhile), in one transaction."""
        if not due:
            return []
        now = time.time()
        until = now + self.timeout_seconds + self.claim_seconds
        with self.store.transaction() as conn:
            return [delivery for delivery in due if conn.execute(
                "UPDATE webhook_deliveries SET claimed_by = ?, claimed_until = ? WHERE id = ?"
                " AND state = ? AND (claimed_until IS NULL OR claimed_until < ?)",
                (self.worker, until, delivery.id, PENDING, now)).rowcount == 1]

    def _not_in_flight(self) -> str:
        """SQL excluding the deliveries in flight (their ids are the parameters)."""
        if not self._in_flight:  # "id NOT IN (NULL)" would exclude every row
            return ""
        return f" AND id NOT IN ({','.join('?' * len(self._in_flight))})"

    async def _stop_attempts(self) -> None:
        """Cancel attempts still waiting for a receiver, so a slow one cannot hold up
        shutdown; their deliveries stay pending and are sent again after a restart."""
        for task in list(self._attempts):
            task.cancel()
        await asyncio.gather(*self._attempts, return_exceptions=True)
        if self._in_flight:  # not sent: free for the next sender at once
            ids = sorted(self._in_flight)
            self.store.execute("UPDATE webhook_deliveries SET claimed_by = NULL, claimed_until"
                               f" = NULL WHERE claimed_by = ? AND id IN ({','.join('?' * len(ids))})",
                               (self.worker, *ids))
        self._in_flight.clear()

    async def _sleep_until_due(self) -> None:
        if len(self._in_flight) >= self.max_in_flight:
            await self._wake.wait(1.0)  # until an attempt ends (it wakes the loop)
            return
        row = self.store.one(
            f"SELECT MIN(next_at) AS t FROM webhook_deliveries WHERE state = ?"
            f"{self._not_in_flight()}", (PENDING, *self._in_flight))
        wait = self.clock.wait_seconds(row["t"] if row else None)
        await self._wake.wait(wait if self.poll_seconds is None else min(wait, self.poll_seconds))

    async def _attempt(self, client: httpx.AsyncClient, delivery: Delivery) -> None:
        """One attempt; whatever goes wrong is recorded on the delivery, never raised."""
        started = time.perf_counter()
        record: dict[str, Any] = {"at": self.clock.isoformat()}
        state: str | None = None  # None: not delivered, retried per policy
        try:
            refusal = self.targets.check(delivery.url)  # before any connection
            if refusal is not None:
                record["error"] = f"blocked: {refusal.reason}"
                state = BLOCKED
            elif delivery.damaged:
                raise ValueError(delivery.damaged)
            else:
                response = await client.post(delivery.url, content=delivery.body, headers={
                    "content-type": "application/json", "user-agent": "mockserver-webhooks",
                    **delivery.headers})
                record["status"] = response.status_code
                if 200 <= response.status_code < 300:
                    state = DELIVERED
        except Exception as exc:  # noqa: BLE001 (any failure of an attempt is recorded)
            record["error"] = _reason(exc)
        record["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 1)
        try:
            self._record(delivery, record, state)
        except Exception:  # the store is failing: leave the delivery to a restart
            logger.exception("could not record webhook attempt %s", delivery.id)
            return
        self._in_flight.discard(delivery.id)
        self.wake()

    def _record(self, delivery: Delivery, record: dict[str, Any], state: str | None) -> None:
        attempts = [*delivery.attempts, record]
        next_at = delivery.next_at
        if state is None and len(attempts) >= self.max_attempts:
            state = DELIVERY_FAILED
        elif state is None:
            state = PENDING
            next_at = self.clock.now() + self.backoff_seconds * 2 ** (len(attempts) - 1)
        with self.store.transaction() as conn:
            conn.execute("UPDATE webhook_deliveries SET state = ?, attempts = ?, next_at = ?,"
                         " held = 0, claimed_by = NULL, claimed_until = NULL WHERE id = ?",
                         (state, json.dumps(attempts), next_at, delivery.id))
            if state == DELIVERED:  # out_of_order deliveries queued before this one: due now
                now = self.clock.now()
                conn.execute("UPDATE webhook_deliveries SET held = 0,"
                             " next_at = CASE WHEN next_at < ? THEN next_at ELSE ? END"
                             " WHERE provider = ? AND held = 1 AND state = ? AND id < ?",
                             (now, now, delivery.provider, PENDING, delivery.id))


def _reason(exc: BaseException) -> str:
    """``ExceptionType: message``, short."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text if len(text) <= 300 else text[:300] + "..."


def _delivery(row: Any) -> Delivery:
    """A stored delivery; a damaged record (an old or edited state file) still reads, with
    ``damaged`` saying what is wrong."""
    problems: list[str] = []
    headers = _json(row["headers"], dict, "headers", problems)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        problems.append("headers are not all text")
        headers = {}
    attempts = _json(row["attempts"], list, "attempts", problems)
    body = row["body"] if isinstance(row["body"], bytes) else str(row["body"]).encode()
    return Delivery(id=row["id"], provider=row["provider"], task_id=row["task_id"],
                    url=str(row["url"]), body=body, headers=headers, state=row["state"],
                    attempts=attempts, next_at=float(row["next_at"]),
                    damaged="; ".join(problems) or None, fault=row["fault"])


def _json(text: Any, kind: type, name: str, problems: list[str]) -> Any:
    """``text`` parsed as JSON of type ``kind``, or an empty ``kind`` and a problem noted."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        value = None
    if isinstance(value, kind):
        return value
    problems.append(f"stored {name} are not a JSON {'object' if kind is dict else 'array'}")
    return kind()
