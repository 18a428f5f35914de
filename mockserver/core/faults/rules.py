"""Fault rules: which requests a fault hits (a ``RequestPattern``), when it fires and what
it does; stored in the one Store with how often each rule matched and fired.

A rule is JSON such as ``{"provider": "muzaic", "method": "GET", "path": "/getTags",
"times": 1, "action": {"status": 500}}``. Firing: always (default); ``nth: N`` first fires
on the Nth matching call; ``times: M`` fires at most M times (``nth`` alone: once);
``probability: p`` lets each call that may fire do so with chance ``p``, decided by a hash
of (``--seed``, rule id, matching-call number), so a seed gives the same sequence every run.
What the edge does with an action is ``http/faults.py``'s business; a job or webhook action
is armed for the machinery past the edge (``armed.py``).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from mockserver.core.faults.armed import JOB_ACTIONS, WEBHOOK_ACTIONS
from mockserver.core.marks import ChangeMarks, Watch
from mockserver.core.patterns import PATTERN_KEYS, RequestFacts, RequestPattern
from mockserver.core.store import Store

FIRING_KEYS = ("nth", "times", "probability")
RULE_KEYS = (*PATTERN_KEYS, *FIRING_KEYS, "action")
ACTION_KEYS = ("status", "message", "delay_ms", "reset", "body", "job", "webhook", "seconds")
BODY_ACTIONS = ("malformed", "truncated")
MAX_DELAY_MS = 300_000
"""The longest delay a rule (or a ``Prefer: delay``) may ask for: five minutes."""

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS fault_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule TEXT NOT NULL,
    matched INTEGER NOT NULL DEFAULT 0,
    fired INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL
);
"""


def _count(where: str, value: Any, smallest: int = 1) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < smallest:
        raise ValueError(f"{where} must be an integer of at least {smallest}; got {value!r}")
    return value


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _unknown(where: str, data: Mapping[str, Any], known: Iterable[str]) -> None:
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ValueError(f"{where}unknown key(s) {', '.join(unknown)}; known: {', '.join(known)}")


def delay_range(value: Any, where: str = "delay_ms") -> tuple[int, int]:
    """``N`` or ``[min, max]`` milliseconds (0 to ``MAX_DELAY_MS``) as (min, max)."""
    bounds = value if isinstance(value, list) else [value, value]
    if (len(bounds) != 2 or not all(_number(b) and 0 <= b <= MAX_DELAY_MS for b in bounds)
            or bounds[0] > bounds[1]):
        raise ValueError(f"{where} must be milliseconds from 0 to {MAX_DELAY_MS}, or"
                         f" [min, max] of those; got {value!r}")
    return int(bounds[0]), int(bounds[1])


@dataclass(frozen=True)
class Action:
    """What a fired rule does: one of status, reset, body, job, webhook, or a delay (which
    may come with one of the others)."""

    status: int | None = None
    message: str | None = None
    delay_ms: tuple[int, int] | None = None
    reset: bool = False
    body: str | None = None
    """``malformed`` or ``truncated``."""
    job: str | None = None
    webhook: str | None = None
    seconds: float = 0.0
    """A webhook's lateness (or hold-back); a 429's or 503's ``Retry-After``."""

    @classmethod
    def from_json(cls, data: Any) -> Action:
        """The action in ``data``; ValueError naming the key that is wrong."""
        if not isinstance(data, dict) or not data:
            raise ValueError('action must be an object such as {"status": 500}, {"delay_ms": 200},'
                             ' {"reset": true}, {"body": "malformed"}, {"job": "fail"} or'
                             ' {"webhook": "fail"}')
        _unknown("action: ", data, ACTION_KEYS)
        status, body, job, webhook = (data.get(k) for k in ("status", "body", "job", "webhook"))
        if status is not None and (isinstance(status, bool) or not isinstance(status, int)
                                   or not 100 <= status <= 599):
            raise ValueError(f"action.status must be an HTTP status from 100 to 599; got {status!r}")
        if "reset" in data and data["reset"] is not True:
            raise ValueError("action.reset must be true")
        if body is not None and body not in BODY_ACTIONS:
            raise ValueError(f"action.body must be one of {', '.join(BODY_ACTIONS)}; got {body!r}")
        if job is not None and job not in JOB_ACTIONS:
            raise ValueError(f"action.job must be one of {', '.join(JOB_ACTIONS)}; got {job!r}")
        if webhook is not None and webhook not in WEBHOOK_ACTIONS:
            raise ValueError(f"action.webhook must be one of {', '.join(WEBHOOK_ACTIONS)};"
                             f" got {webhook!r}")
        kinds = [k for k in ("status", "reset", "body", "job", "webhook") if k in data]
        if len(kinds) > 1:
            raise ValueError(f"action: one of status, reset, body, job, webhook (with delay_ms"
                             f" if wanted); got {', '.join(kinds)}")
        if not kinds and "delay_ms" not in data:
            raise ValueError("action: say what happens: status, delay_ms, reset, body, job or webhook")
        message = data.get("message")
        if message is not None and (status is None or not isinstance(message, str)):
            raise ValueError("action.message is a string, and goes with action.status")
        seconds = data.get("seconds", 0)
        if "seconds" in data and (webhook is None and status is None
                                  or not _number(seconds) or not 0 <= seconds <= 86_400):
            raise ValueError("action.seconds (0 to 86400) goes with action.webhook (how late)"
                             " or action.status (Retry-After)")
        delay = data.get("delay_ms")
        return cls(status=status, message=message,
                   delay_ms=None if delay is None else delay_range(delay, "action.delay_ms"),
                   reset="reset" in data, body=body, job=job, webhook=webhook,
                   seconds=float(seconds))

    def as_json(self) -> dict[str, Any]:
        """The action as JSON, as it was given."""
        shown: dict[str, Any] = {
            "status": self.status, "message": self.message, "reset": self.reset or None,
            "body": self.body, "job": self.job, "webhook": self.webhook,
            "seconds": self.seconds or None,
            "delay_ms": None if self.delay_ms is None else (
                self.delay_ms[0] if self.delay_ms[0] == self.delay_ms[1] else list(self.delay_ms)),
        }
        return {key: value for key, value in shown.items() if value is not None}


@dataclass(frozen=True)
class FaultRule:
    """A fault rule: pattern, firing and action (``id`` 0 until stored)."""

    pattern: RequestPattern
    action: Action
    nth: int | None = None
    times: int | None = None
    probability: float | None = None
    id: int = 0
    source: str = "api"
    """``api`` (``POST /_mock/faults``) or ``config`` (the config file's ``faults``)."""

    @classmethod
    def from_json(cls, data: Any, source: str = "api") -> FaultRule:
        """The rule in ``data``; ValueError naming the key that is wrong (unknown keys are
        refused)."""
        if not isinstance(data, dict):
            raise ValueError("a fault rule must be a JSON object")
        _unknown("", data, RULE_KEYS)
        if "action" not in data:
            raise ValueError("action is required, e.g. {\"status\": 500}")
        probability = data.get("probability")
        if probability is not None and (not _number(probability) or not 0 < probability <= 1):
            raise ValueError(f"probability must be a number above 0 and at most 1;"
                             f" got {probability!r}")
        return cls(pattern=RequestPattern.from_json(data), action=Action.from_json(data["action"]),
                   nth=_count("nth", data.get("nth")), times=_count("times", data.get("times")),
                   probability=None if probability is None else float(probability),
                   source=source)

    def check_provider(self, served: Collection[str]) -> None:
        """ValueError unless the rule's provider (if it names one) is served."""
        if self.pattern.provider is not None and self.pattern.provider not in served:
            raise ValueError(f"provider must be one of {', '.join(served)};"
                             f" got {self.pattern.provider!r}")

    @property
    def limit(self) -> int | None:
        """How many times the rule fires at most (None: no limit)."""
        return self.times if self.times is not None else (1 if self.nth is not None else None)

    def as_json(self) -> dict[str, Any]:
        """The rule as JSON (without its id and counters)."""
        firing = {"nth": self.nth, "times": self.times, "probability": self.probability}
        return {**self.pattern.as_json(), **{k: v for k, v in firing.items() if v is not None},
                "action": self.action.as_json()}


def fraction(seed: int, rule: int, call: int, purpose: str = "fire") -> float:
    """A number in [0, 1) fixed by the seed, the rule, the matching call and its purpose."""
    digest = hashlib.sha256(f"{seed}:{rule}:{call}:{purpose}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class Fired:
    """A rule that fired on a request, and which of its matching calls that was."""

    rule: FaultRule
    call: int
    delay_seconds: float = 0.0
    """The delay chosen for this call (a ``[min, max]`` range picked under the seed)."""


@dataclass
class FaultRules:
    """The stored fault rules of one server run (see the module's docstring)."""

    store: Store
    seed: int = 0
    configured: tuple[FaultRule, ...] = ()
    """Rules from the config file: installed at start and again after a reset."""
    marks: ChangeMarks = field(default_factory=ChangeMarks)
    """Shared with the other workers (``serve --workers N``): a rule added on one fires on all."""
    _active: tuple[FaultRule, ...] = field(default=(), init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _watch: Watch = field(init=False)

    def __post_init__(self) -> None:
        self._watch = self.marks.watch("faults")
        self.store.migrate(SCHEMA_SQL)
        # a worker of several joins the rules the server stored before forking it
        if not self.marks.enabled:
            with self.store.transaction() as conn:
                conn.execute("DELETE FROM fault_rules WHERE source = 'config'")
        self.reinstall()

    def _rules(self) -> tuple[FaultRule, ...]:
        """The stored rules, reloaded when another worker changed them."""
        if self.marks.enabled:
            self._watch.refresh(self._reload)
        return self._active

    @property
    def active(self) -> bool:
        """Whether any rule is stored (the common no-rule path stops here)."""
        return bool(self._rules())

    @property
    def reads_body(self) -> bool:
        """Whether some rule matches on a body field (so the body must be parsed)."""
        return any(rule.pattern.body for rule in self._rules())

    def reinstall(self) -> None:
        """Store the config's rules again (after a reset emptied the table) and reload."""
        with self.store.transaction() as conn:
            if conn.execute("SELECT 1 FROM fault_rules WHERE source = 'config'").fetchone() is None:
                conn.executemany("INSERT INTO fault_rules (rule, source) VALUES (?, 'config')",
                                 [(json.dumps(rule.as_json()),) for rule in self.configured])
        self._saved()

    def _reload(self) -> None:
        with self._lock:  # reloads in turn: the last one read the newest rules
            rows = self.store.all("SELECT id, rule, source FROM fault_rules ORDER BY id")
            self._active = tuple(replace(FaultRule.from_json(json.loads(r["rule"]), r["source"]),
                                         id=r["id"]) for r in rows)

    def _saved(self) -> None:
        """The table changed here: reload, and tell the other workers."""
        self._reload()
        self._watch.changed()

    def add(self, rule: FaultRule) -> FaultRule:
        """Store ``rule``; it with its id."""
        new_id = int(self.store.scalar("INSERT INTO fault_rules (rule, source) VALUES (?, ?)"
                                       " RETURNING id", (json.dumps(rule.as_json()), rule.source)))
        self._saved()
        return replace(rule, id=new_id)

    def delete(self, rule: int) -> bool:
        """Remove one rule; False when there is no such rule."""
        gone = self.store.execute("DELETE FROM fault_rules WHERE id = ?", (rule,)).rowcount
        self._saved()
        return bool(gone)

    def clear(self) -> int:
        """Remove every rule (the config's too, until the next reset); how many there were."""
        gone = self.store.execute("DELETE FROM fault_rules").rowcount
        self._saved()
        return int(gone)

    def candidates(self, request: RequestFacts) -> list[FaultRule]:
        """The stored rules whose pattern ``request`` matches (nothing is counted)."""
        return [rule for rule in self._rules() if rule.pattern.matches(request)]

    def fire(self, request: RequestFacts) -> list[Fired]:
        """Count ``request`` against every rule it matches and return the rules that fire on
        it, in id order (counters updated in one transaction)."""
        matching = self.candidates(request)
        if not matching:
            return []
        fired: list[Fired] = []
        with self._lock, self.store.transaction() as conn:
            for rule in matching:
                row = conn.execute("SELECT matched, fired FROM fault_rules WHERE id = ?",
                                   (rule.id,)).fetchone()
                if row is None:  # deleted meanwhile
                    continue
                call, times = row["matched"] + 1, row["fired"]
                fires = (call >= (rule.nth or 1)
                         and (rule.limit is None or times < rule.limit)
                         and (rule.probability is None
                              or fraction(self.seed, rule.id, call) < rule.probability))
                conn.execute("UPDATE fault_rules SET matched = ?, fired = fired + ? WHERE id = ?",
                             (call, int(fires), rule.id))
                if fires:
                    fired.append(Fired(rule, call, self._delay(rule, call)))
        return fired

    def _delay(self, rule: FaultRule, call: int) -> float:
        if rule.action.delay_ms is None:
            return 0.0
        low, high = rule.action.delay_ms
        return (low + (high - low) * fraction(self.seed, rule.id, call, "delay")) / 1000

    # last in the class: the name would shadow the builtin in the annotations after it
    def list(self, rule: int | None = None) -> list[dict[str, Any]]:
        """Every rule (or the one with id ``rule``) as JSON, with its id, source and
        counters (``matched``: calls it matched, ``fired``: times it fired)."""
        rows = self.store.all("SELECT * FROM fault_rules WHERE ? IS NULL OR id = ? ORDER BY id",
                              (rule, rule))
        return [{"id": r["id"], **json.loads(r["rule"]), "matched": r["matched"],
                 "fired": r["fired"], "source": r["source"]} for r in rows]


def config_rules(section: Any) -> tuple[FaultRule, ...]:
    """The config file's ``faults`` list as rules; ValueError naming the index and key."""
    if section is None:
        return ()
    if not isinstance(section, list):
        raise ValueError("config: faults must be a list of fault rules")
    rules = []
    for index, data in enumerate(section):
        try:
            rules.append(FaultRule.from_json(data, source="config"))
        except ValueError as exc:
            raise ValueError(f"config: faults[{index}]: {exc}") from None
    return tuple(rules)


def check_served(rules: Iterable[FaultRule], served: Collection[str]) -> None:
    """ValueError (naming the config index) for a rule whose provider is not served."""
    for index, rule in enumerate(rules):
        try:
            rule.check_provider(served)
        except ValueError as exc:
            raise ValueError(f"config: faults[{index}]: {exc}") from None
