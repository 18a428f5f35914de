"""Verification: did the mock receive the requests a test expects? (``POST /_mock/verify``)

A verification is a request pattern (``mockserver.core.patterns``) plus how many journal
entries must match it: ``count`` (exactly), ``at_least`` or ``at_most``; none given means at
least one. ``since`` (a journal id) looks only at later requests. When the count does not
hold, the answer names the nearest misses as WireMock's near-miss report does: the requests
that do not match, fewest differences first (newest first among equals), each with the
fields that differ; when too many matched, the matching requests instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse

from mockserver.core.patterns import PATTERN_KEYS, Difference, RequestFacts, RequestPattern, operator_of, parse_body
from mockserver.core.store import Store
from mockserver.http.errors import ApiError
from mockserver.http.journal import KEEP_ROWS, read_journal

COUNT_KEYS = ("count", "at_least", "at_most")
VERIFY_KEYS = (*PATTERN_KEYS, *COUNT_KEYS, "since")
"""The keys a verification may have."""
NEAR_MISSES = 3
"""How many requests a failed verification shows."""
JOURNAL_ROWS = 2 * KEEP_ROWS
"""More rows than the journal ever keeps (it trims itself to ``KEEP_ROWS`` every 1000
requests): a verification reads the whole journal."""


@dataclass(frozen=True)
class Expectation:
    """How many matching requests a verification expects: one of exactly, at least, at most."""

    key: str
    """``count``, ``at_least`` or ``at_most``."""
    number: int

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Expectation:
        """The one count key in ``data``; at least 1 when there is none."""
        given = [key for key in COUNT_KEYS if key in data]
        if len(given) > 1:
            raise ValueError(f"give at most one of {', '.join(COUNT_KEYS)}; got {', '.join(given)}")
        if not given:
            return cls("at_least", 1)
        number = data[given[0]]
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise ValueError(f"{given[0]} must be a non-negative integer; got {json.dumps(number)}")
        return cls(given[0], number)

    def holds(self, found: int) -> bool:
        """Whether ``found`` matching requests meet the expectation."""
        if self.key == "count":
            return found == self.number
        return found >= self.number if self.key == "at_least" else found <= self.number

    def describe(self) -> str:
        """``exactly 2``, ``at least 1``, ``at most 0``."""
        return {"count": "exactly", "at_least": "at least", "at_most": "at most"}[
            self.key] + f" {self.number}"


@dataclass(frozen=True)
class Verification:
    """A request pattern, how many requests must match it, and from which journal id on."""

    pattern: RequestPattern
    expectation: Expectation
    since: int | None = None
    """Only requests with a larger journal id count; None: all of them."""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Verification:
        """The verification in ``data``; ValueError naming the key that is wrong."""
        unknown = sorted(set(data) - set(VERIFY_KEYS))
        if unknown:
            raise ValueError(f"unknown key {', '.join(unknown)}; a verification takes"
                             f" {', '.join(VERIFY_KEYS)}")
        since = data.get("since")
        if since is not None and (isinstance(since, bool) or not isinstance(since, int)
                                  or since < 0):
            raise ValueError(f"since must be a journal id (a non-negative integer);"
                             f" got {json.dumps(since)}")
        return cls(RequestPattern.from_json(data), Expectation.from_json(data), since)

    def as_json(self) -> dict[str, Any]:
        """The verification as JSON, the count key always given."""
        shown = {**self.pattern.as_json(), self.expectation.key: self.expectation.number}
        return shown if self.since is None else {**shown, "since": self.since}

    def describe(self) -> str:
        """``exactly 2 POST /v1/sound_generator (musicgpt) with body.prompt contains "rain"``."""
        pattern = self.pattern
        where = [pattern.method or "", pattern.path or "",
                 f"matching {pattern.path_glob}" if pattern.path_glob else ""]
        said = " ".join(word for word in where if word) or "requests"
        if pattern.provider:
            said += f" ({pattern.provider})"
        conditions = [_condition(f"headers.{name}", matcher)
                      for name, matcher in pattern.headers.items()]
        conditions += [_condition(f"body.{name}", matcher) for name, matcher in pattern.body.items()]
        if conditions:
            said += " with " + " and ".join(conditions)
        return f"{self.expectation.describe()} {said}"


def _condition(field: str, matcher: Any) -> str:
    """``body.prompt contains "rain"``, ``headers.x-trace = "abc"``, ``body.seed absent``."""
    operator, operand = operator_of(matcher)
    if operator == "absent":
        return f"{field} absent"
    if operand is matcher:  # a plain value
        return f"{field} = {json.dumps(operand)}"
    return f"{field} {operator} {json.dumps(operand)}"


def facts_of(entry: Mapping[str, Any]) -> RequestFacts:
    """A journal entry as a pattern sees it (the body parsed by its Content-Type)."""
    headers = entry["headers"]
    return RequestFacts(
        provider=entry["provider"], method=entry["method"],
        local_path=entry["local_path"] or entry["path"], route=entry["route"],
        headers=headers, body=parse_body(str(headers.get("content-type", "")), entry["body"] or ""))


def _request(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {key: entry[key] for key in ("id", "at", "method", "path", "provider", "status")}


def _line(entry: Mapping[str, Any]) -> str:
    return f"  #{entry['id']} {entry['method']} {entry['path']} ({entry['status']})"


@dataclass(frozen=True)
class Outcome:
    """What a verification found in the journal."""

    verification: Verification
    matched: list[dict[str, Any]]
    """The matching journal entries, newest first."""
    misses: list[tuple[dict[str, Any], list[Difference]]]
    """The other entries with their differences, nearest first."""

    @property
    def holds(self) -> bool:
        """Whether the expected number of requests matched."""
        return self.verification.expectation.holds(len(self.matched))

    @property
    def too_many(self) -> bool:
        """Whether it fails because more requests matched than it allows."""
        return not self.holds and len(self.matched) > self.verification.expectation.number

    def report(self) -> str:
        """The failure as text for a test's message: what was expected, what was found, and
        the nearest requests with each differing field (or the requests that matched)."""
        lines = [f"expected {self.verification.describe()}; found {len(self.matched)}"]
        if self.too_many:
            lines.append("matching requests:")
            lines += [_line(entry) for entry in self.matched[:NEAR_MISSES]]
        elif self.misses:
            lines.append("nearest requests:")
            for entry, differences in self.misses[:NEAR_MISSES]:
                lines.append(_line(entry))
                lines += [f"     {difference.describe()}" for difference in differences]
        else:
            since = self.verification.since
            lines.append(("no other requests were received" if self.matched else
                          "no requests were received") + (f" after #{since}" if since else ""))
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        """The 200 answer when it holds, else the 417 answer with the near misses."""
        found = len(self.matched)
        if self.holds:
            return {"found": found, "requests": [entry["id"] for entry in self.matched]}
        near = ([{"request": _request(entry), "differences": []}
                 for entry in self.matched[:NEAR_MISSES]] if self.too_many else
                [{"request": _request(entry), "differences": [d.as_json() for d in differences]}
                 for entry, differences in self.misses[:NEAR_MISSES]])
        return {"error": f"expected {self.verification.describe()} but found {found}",
                "expected": self.verification.as_json(), "found": found,
                "near_misses": near, "report": self.report()}


def check(verification: Verification, entries: Sequence[dict[str, Any]]) -> Outcome:
    """Match journal ``entries`` (newest first, as ``read_journal`` gives them)."""
    since = verification.since
    matched: list[dict[str, Any]] = []
    misses: list[tuple[dict[str, Any], list[Difference]]] = []
    for entry in entries:
        if since is not None and entry["id"] <= since:
            continue
        differences = verification.pattern.differences(facts_of(entry))
        if differences:
            misses.append((entry, differences))
        else:
            matched.append(entry)
    misses.sort(key=lambda miss: (len(miss[1]), -miss[0]["id"]))
    return Outcome(verification, matched, misses)


def verify_answer(store: Store, data: Mapping[str, Any]) -> JSONResponse:
    """``POST /_mock/verify``: 200 when the verification in ``data`` holds against the
    journal, 417 with the near misses when not; a wrong verification is a 400."""
    try:
        verification = Verification.from_json(data)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    outcome = check(verification, read_journal(store, JOURNAL_ROWS))
    return JSONResponse(outcome.as_json(), status_code=200 if outcome.holds else 417)
