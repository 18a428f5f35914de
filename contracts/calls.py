"""The calls a check made, as JSON lines in a file: written by the schemathesis hook in its
own process, read by the run for progress, the summary, rate-limit coverage and the cost of
fuzzing's paid calls."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class CallStats:
    """What a call log says: counts per status and per operation."""

    total: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    operations: set[str] = field(default_factory=set)
    """Operations that got at least one answer other than 429."""
    limited_only: set[str] = field(default_factory=set)
    """Operations every answer of which was 429."""
    last: float = 0.0
    """Wall time of the last call (a pacer in another process continues from it)."""
    per_operation: Counter[str] = field(default_factory=Counter)
    """Calls per operation ("METHOD /path")."""

    @property
    def rate_limited(self) -> int:
        """Calls answered 429."""
        return self.statuses[429]

    @property
    def conformance(self) -> int:
        """Calls whose answer says something about the contract (every answer but 429)."""
        return self.total - self.rate_limited


class CallLog:
    """Append-only JSON lines: ``{"t": wall time, "status": code, "op": "GET /path"}``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, status: int, operation: str) -> None:
        """Record one answered call (one line, flushed at once)."""
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"t": time.time(), "status": status, "op": operation}) + "\n")

    def stats(self) -> CallStats:
        """Counts of everything logged so far (a half-written last line is ignored)."""
        stats = CallStats()
        answered: Counter[str] = Counter()
        limited: Counter[str] = Counter()
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return stats
        for line in lines:
            try:
                call = json.loads(line)
            except ValueError:
                continue
            stats.total += 1
            stats.statuses[int(call["status"])] += 1
            stats.last = max(stats.last, float(call["t"]))
            (limited if call["status"] == 429 else answered)[call["op"]] += 1
            stats.per_operation[call["op"]] += 1
        stats.operations = set(answered)
        stats.limited_only = set(limited) - set(answered)
        return stats
