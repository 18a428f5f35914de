"""The pure core: what a violation is, what is under test, and the results a run collects."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Violation:
    """One broken promise: what was expected, what came back, and how to reproduce it."""

    name: str
    operation: str
    expected: str
    actual: str
    curl: str = ""
    check: str = ""

    def describe(self) -> str:
        """Several lines for a terminal."""
        lines = [f"[{self.name}] {self.operation}" + (f"  (check: {self.check})" if self.check else ""),
                 f"  expected: {self.expected}", f"  actual:   {self.actual}"]
        if self.curl:
            lines.append(f"  reproduce: {self.curl}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Target:
    """The API under test: the provider's base URL (including its server path) and key."""

    provider: str
    base_url: str
    api_key: str
    webhook_url: str | None = None
    """URL the provider should POST webhooks to (a tunnel to the local receiver), if any."""
    webhook_secret: str | None = None
    """Secret to verify webhook signatures with, for providers that sign."""
    own_clock: bool = False
    """The suite started this mock itself and may move its clock (``/_mock/clock/advance``)."""

    @property
    def origin(self) -> str:
        """scheme://host:port of the base URL (where a mock serves ``/_mock``)."""
        scheme, rest = self.base_url.split("://", 1)
        return f"{scheme}://{rest.split('/', 1)[0]}"

    @property
    def is_loopback(self) -> bool:
        """True when the server runs on this machine (a local receiver is then reachable)."""
        host = self.origin.split("://", 1)[1].rsplit(":", 1)[0]
        return host in ("127.0.0.1", "localhost", "[::1]")


@dataclass
class CheckResult:
    """The outcome of one check (conformance, or one semantic property) for one provider.

    It ends as exactly one of passed, failed (a violation) or skipped (with the reason it
    could not run); a skip is never a pass.
    """

    provider: str
    name: str
    violations: list[Violation] = field(default_factory=list)
    seconds: float = 0.0
    calls: int = 0
    """Answered calls, 429s included."""
    rate_limited: int = 0
    """Calls answered 429 (counted apart: they say nothing about the contract)."""
    exercised: int = 0
    """Examples that reached their checks."""
    not_run: list[str] = field(default_factory=list)
    """Why examples could not reach their checks (a refused submit, a rate limit)."""
    last_call: float = 0.0
    """Wall time of the check's last call (the next check's pacer continues from it)."""
    skipped: str = ""
    """Why the check did not run (budget spent, nothing could be exercised); empty when it ran."""
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """``failed``, ``skipped`` or ``passed``."""
        if self.violations:
            return "failed"
        return "skipped" if self.skipped else "passed"

    @property
    def passed(self) -> bool:
        """True when it ran and nothing was violated."""
        return self.status == "passed"

    def conclude(self) -> None:
        """Skip a check none of whose examples could run, naming why; note partial runs."""
        reasons = "; ".join(dict.fromkeys(self.not_run))
        if self.violations or self.skipped:
            return
        if self.exercised == 0:
            self.skipped = f"could not run: {reasons or 'no example reached its checks'}"
        elif self.not_run:
            self.notes.append(f"{len(self.not_run)} example(s) could not run: {reasons}")


@dataclass
class Report:
    """Every check result of a run, plus what was spent."""

    results: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0
    generation_calls: int = 0
    cost: dict[str, float] = field(default_factory=dict)
    strict: bool = False
    """Skips count as failures (the CI setting)."""

    @property
    def violations(self) -> list[Violation]:
        """All violations, in check order."""
        return [v for r in self.results for v in r.violations]

    def count(self, status: str) -> int:
        """How many checks ended as ``status`` (passed, failed, skipped)."""
        return sum(r.status == status for r in self.results)

    @property
    def ok(self) -> bool:
        """True when checks ran and nothing was violated (when strict: nothing skipped)."""
        return bool(self.results) and not self.violations and not (
            self.strict and self.count("skipped"))

    def names(self) -> set[str]:
        """The distinct violation names (what the drift tests look for)."""
        return {v.name for v in self.violations}


def mostly(part: int, whole: int) -> bool:
    """More than half: what "most" means wherever the suite judges coverage."""
    return whole > 0 and part * 2 > whole


def curl_line(method: str, url: str, headers: dict[str, str] | None = None,
              json_body: Any = None, form: dict[str, Any] | None = None,
              params: dict[str, Any] | None = None, secret: str | None = None) -> str:
    """A curl command that sends the same request; the key is shown as ``$API_KEY``."""
    if params:
        from urllib.parse import urlencode
        url = f"{url}?{urlencode(params)}"
    parts = ["curl", "-sS", "-X", method.upper(), shlex.quote(url)]
    for name, value in (headers or {}).items():
        if secret and secret in value:
            parts += ["-H", '"' + f"{name}: {value.replace(secret, '$API_KEY')}" + '"']
        else:
            parts += ["-H", shlex.quote(f"{name}: {value}")]
    if json_body is not None:
        parts += ["-H", shlex.quote("Content-Type: application/json"),
                  "--data-binary", shlex.quote(json.dumps(json_body, separators=(",", ":")))]
    for name, value in (form or {}).items():
        parts += ["--data-urlencode", shlex.quote(f"{name}={value}")]
    return " ".join(parts)


def short(value: Any, limit: int = 300) -> str:
    """A value as one line, cut to ``limit`` characters."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
