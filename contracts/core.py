"""The pure core: what a violation is, what is under test, and the results a run collects."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any

# The twelve drift kinds every run can report, plus a few more specific ones.
DRIFT_KINDS = (
    "field_dropped", "type_changed", "enum_violation", "status_code_changed", "error_shape",
    "lifecycle_backwards", "job_never_completes", "audio_undecodable", "audio_wrong_length",
    "webhook_missing", "webhook_bad_signature", "idempotency_new_work",
)


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
    """The outcome of one check (conformance, or one semantic property) for one provider."""

    provider: str
    name: str
    violations: list[Violation] = field(default_factory=list)
    seconds: float = 0.0
    calls: int = 0
    skipped: str = ""
    """Why the check did not run (budget spent, feature not offered); empty when it ran."""
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when it ran (or was skipped) without a violation."""
        return not self.violations


@dataclass
class Report:
    """Every check result of a run, plus what was spent."""

    results: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0
    generation_calls: int = 0
    cost: dict[str, float] = field(default_factory=dict)

    @property
    def violations(self) -> list[Violation]:
        """All violations, in check order."""
        return [v for r in self.results for v in r.violations]

    @property
    def ok(self) -> bool:
        """True when nothing was violated."""
        return not self.violations

    def names(self) -> set[str]:
        """The distinct violation names (what the drift tests look for)."""
        return {v.name for v in self.violations}


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
