"""The task store: asynchronous work that moves through a provider's states on the clock.

A task's status is never "updated" by a worker: its schedule of (status, time) steps is
fixed at submission, and the status at any moment is read off the clock. Restarts therefore
lose nothing, and a manual clock moves every task at once. ``finalized_at`` records when the
engine noticed the terminal step (and queued its webhook).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from mockserver.core import json_codec
from mockserver.core.faults.armed import WebhookFault
from mockserver.core.store import Store

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    seq INTEGER NOT NULL,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    request TEXT NOT NULL,
    schedule TEXT NOT NULL,
    terminal_at REAL NOT NULL,
    outcome TEXT NOT NULL,
    error TEXT,
    result TEXT NOT NULL,
    callback_url TEXT,
    created_at REAL NOT NULL,
    finalized_at REAL,
    webhook_fault TEXT,
    UNIQUE (provider, seq)
);
CREATE INDEX IF NOT EXISTS tasks_due ON tasks (finalized_at, terminal_at);
"""
ADDED_COLUMNS = {"tasks": ("webhook_fault TEXT",)}
"""Columns a state file from before this one lacks (added when it is opened)."""

TASK_SUCCEEDED, TASK_FAILED = "succeeded", "failed"
"""A task's ``outcome``, fixed at submission (a provider's own status names are its steps)."""


@dataclass(frozen=True)
class Task:
    """One submitted job."""

    id: str
    provider: str
    seq: int
    owner: str
    """The digest of the submitting key (``Store.keys``); compare with ``TaskStore.owned_by``."""
    kind: str
    request: dict[str, Any]
    schedule: list[tuple[str, float]]
    outcome: str
    error: dict[str, Any] | None
    result: dict[str, Any]
    callback_url: str | None
    created_at: float
    finalized_at: float | None
    webhook_fault: WebhookFault | None = None
    """What a fault rule armed at submission does to the task's webhook (none: nothing)."""

    @property
    def terminal_at(self) -> float:
        """When the task reaches its last status."""
        return self.schedule[-1][1]

    def status_at(self, now: float) -> str:
        """The status the schedule gives at ``now``."""
        current = self.schedule[0][0]
        for status, at in self.schedule:
            if at <= now:
                current = status
        return current

    def is_terminal(self, now: float) -> bool:
        """Whether the last step has been reached."""
        return now >= self.terminal_at


def make_uuid(seed: int, provider: str, seq: int, salt: str = "") -> str:
    """A uuid4-shaped id derived from the seed, the provider and the submission number."""
    digest = hashlib.sha256(f"{seed}:{provider}:{seq}:{salt}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def make_base36(seed: int, provider: str, seq: int, length: int, salt: str = "") -> str:
    """``length`` characters of ``[0-9a-z]`` derived from the seed and submission number."""
    number = int.from_bytes(hashlib.sha256(f"{seed}:{provider}:{seq}:{salt}".encode()).digest())
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = []
    for _ in range(length):
        number, digit = divmod(number, 36)
        out.append(alphabet[digit])
    return "".join(out)


class TaskStore:
    """Tasks in SQLite."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.migrate(SCHEMA_SQL, ADDED_COLUMNS)

    def next_seq(self, provider: str) -> int:
        """The submission number the next task of ``provider`` gets (1, 2, ...)."""
        return int(self.store.scalar("SELECT MAX(seq) FROM tasks WHERE provider = ?",
                                     (provider,)) or 0) + 1

    def add(self, *, id: str, provider: str, seq: int, owner: str, kind: str,
            request: dict[str, Any], schedule: Sequence[tuple[str, float]], outcome: str,
            error: dict[str, Any] | None, result: dict[str, Any], callback_url: str | None,
            created_at: float, webhook_fault: WebhookFault | None = None) -> Task:
        """Store a new task and return it."""
        steps = [(status, float(at)) for status, at in schedule]
        self.store.execute(
            "INSERT INTO tasks (id, provider, seq, owner, kind, request, schedule, terminal_at,"
            " outcome, error, result, callback_url, created_at, webhook_fault) VALUES"
            " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (id, provider, seq, self._owner(owner), kind, json.dumps(request), json.dumps(steps),
             steps[-1][1], outcome, json.dumps(error) if error else None, json.dumps(result),
             callback_url, created_at,
             json.dumps(asdict(webhook_fault)) if webhook_fault else None),
        )
        task = self.get(provider, id)
        assert task is not None
        return task

    def get(self, provider: str, task_id: str) -> Task | None:
        """A task by id, or None."""
        row = self.store.one("SELECT * FROM tasks WHERE provider = ? AND id = ?",
                             (provider, task_id))
        return _task(row) if row else None

    def _owner(self, key: str) -> str:
        return self.store.keys.digest(key)

    def owned_by(self, task: Task, key: str) -> bool:
        """Whether ``key`` submitted ``task``."""
        return hmac.compare_digest(task.owner, self._owner(key))

    def find(self, provider: str, field: str, value: str) -> Task | None:
        """A task whose ``result`` has ``field == value`` (e.g. a second id), or None."""
        row = self.store.one(
            "SELECT * FROM tasks WHERE provider = ? AND json_extract(result, ?) = ?",
            (provider, f"$.{field}", value))
        return _task(row) if row else None

    def due(self, now: float) -> list[Task]:
        """Tasks that reached their terminal step but were not finalized yet."""
        rows = self.store.all(
            "SELECT * FROM tasks WHERE finalized_at IS NULL AND terminal_at <= ?"
            " ORDER BY terminal_at, provider, seq", (now,))
        return [_task(r) for r in rows]

    def next_terminal_at(self) -> float | None:
        """The earliest terminal time of a task not finalized yet."""
        row = self.store.one("SELECT MIN(terminal_at) AS t FROM tasks WHERE finalized_at IS NULL")
        return row["t"] if row else None

    def mark_finalized(self, task_id: str, provider: str, at: float) -> bool:
        """Record that the terminal step was handled; False if someone else did it first."""
        cur = self.store.execute(
            "UPDATE tasks SET finalized_at = ? WHERE provider = ? AND id = ?"
            " AND finalized_at IS NULL", (at, provider, task_id))
        return cur.rowcount == 1

    def count(self, provider: str, owner: str | None = None) -> int:
        """How many tasks a provider (or one owner) has."""
        if owner is None:
            return int(self.store.scalar("SELECT COUNT(*) FROM tasks WHERE provider = ?",
                                         (provider,)))
        return int(self.store.scalar("SELECT COUNT(*) FROM tasks WHERE provider = ? AND owner = ?",
                                     (provider, self._owner(owner))))

    def running(self, provider: str, owner: str, now: float) -> int:
        """Tasks of an owner not yet terminal at ``now`` (for concurrency limits)."""
        return int(self.store.scalar(
            "SELECT COUNT(*) FROM tasks WHERE provider = ? AND owner = ? AND terminal_at > ?",
            (provider, self._owner(owner), now)))

    def next_end(self, provider: str, owner: str, now: float) -> float | None:
        """When the first of an owner's running tasks ends (for a concurrency 429's
        ``Retry-After``), or None when none is running."""
        row = self.store.one(
            "SELECT MIN(terminal_at) AS t FROM tasks WHERE provider = ? AND owner = ?"
            " AND terminal_at > ?", (provider, self._owner(owner), now))
        return row["t"] if row else None


def _task(row: Any) -> Task:
    return Task(
        id=row["id"], provider=row["provider"], seq=row["seq"], owner=row["owner"],
        kind=row["kind"], request=json_codec.loads(row["request"]),
        schedule=[(s, t) for s, t in json_codec.loads(row["schedule"])], outcome=row["outcome"],
        error=json_codec.loads(row["error"]) if row["error"] else None,
        result=json_codec.loads(row["result"]), callback_url=row["callback_url"],
        created_at=row["created_at"], finalized_at=row["finalized_at"],
        webhook_fault=WebhookFault(**json_codec.loads(row["webhook_fault"]))
        if row["webhook_fault"] else None,
    )
