"""The proxy's violations: each finding with the request that showed it (its journal id,
method, path and a curl line without the key), kept in the proxy's SQLite store."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from mockserver.contracts.core import curl_line
from mockserver.contracts.schema import Finding
from mockserver.core.clock import Clock
from mockserver.core.keyhash import redact_query
from mockserver.core.store import Store
from mockserver.http.journal import SENSITIVE
from mockserver.http.keys import CREDENTIAL_HEADER

SCHEMA = """
CREATE TABLE IF NOT EXISTS proxy_violations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    journal_id INTEGER,
    name TEXT NOT NULL,
    operation TEXT NOT NULL,
    expected TEXT NOT NULL,
    actual TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    curl TEXT NOT NULL
);
"""
KEY_PLACEHOLDER = "$API_KEY"
CURL_HEADERS = ("content-type",)
"""Headers a curl line repeats besides the credentials (shown as ``$API_KEY``)."""


@dataclass(frozen=True)
class Seen:
    """The request a violation showed on: what the app (or the provider, for a webhook) sent."""

    method: str
    path: str
    operation: str
    """``METHOD /template`` (or the path, when no operation matches)."""
    curl: str
    journal_id: int | None = None


def curl_for(method: str, url: str, query: bytes, headers: Sequence[tuple[str, str]],
             body: bytes, label: Any) -> str:
    """A curl line that sends the request again: keys shown as ``$API_KEY`` (in a header) or
    as their label (in the query), the body as sent."""
    shown: dict[str, str] = {}
    for name, value in headers:
        lower = name.lower()
        if lower in SENSITIVE or CREDENTIAL_HEADER.search(lower):
            scheme, space, rest = value.strip().partition(" ")
            shown[name] = (f"{scheme} {KEY_PLACEHOLDER}" if space and rest and scheme.isalpha()
                           else KEY_PLACEHOLDER)
        elif lower in CURL_HEADERS:
            shown[name] = value
    query_text = redact_query(query.decode("latin-1"), label)
    target = f"{url}?{query_text}" if query_text else url
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    json_body: Any = None
    form: dict[str, str] | None = None
    if body and "json" in content_type:
        try:
            json_body = json.loads(body)
            shown = {k: v for k, v in shown.items() if k.lower() != "content-type"}
        except ValueError:
            json_body = None
    elif body and "x-www-form-urlencoded" in content_type:
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        shown = {k: v for k, v in shown.items() if k.lower() != "content-type"}
    return curl_line(method, target, shown, json_body, form, secret=KEY_PLACEHOLDER)


class Violations:
    """The violations table: record findings, read them back."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        store.migrate(SCHEMA)

    def record(self, findings: Sequence[Finding], seen: Seen) -> None:
        """Keep each finding with the request that showed it."""
        for finding in findings:
            self.store.execute(
                "INSERT INTO proxy_violations (at, journal_id, name, operation, expected, actual,"
                " method, path, curl) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (self.clock.isoformat(), seen.journal_id, finding.name, seen.operation,
                 finding.expected, finding.actual, seen.method, seen.path, seen.curl))

    def list(self, limit: int = 1000) -> list[dict[str, Any]]:
        """The violations, oldest first."""
        rows = self.store.all("SELECT * FROM proxy_violations ORDER BY id LIMIT ?", (limit,))
        return [{"id": r["id"], "at": r["at"], "name": r["name"], "operation": r["operation"],
                 "expected": r["expected"], "actual": r["actual"],
                 "request": {"journal_id": r["journal_id"], "method": r["method"],
                             "path": r["path"], "curl": r["curl"]}} for r in rows]

    def names_by_journal_id(self, ids: Sequence[int]) -> Mapping[int, list[str]]:
        """The violation names of each journal entry in ``ids``."""
        if not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        found: dict[int, list[str]] = {}
        for r in self.store.all(f"SELECT journal_id, name FROM proxy_violations"
                                f" WHERE journal_id IN ({marks}) ORDER BY id", list(ids)):
            found.setdefault(r["journal_id"], []).append(r["name"])
        return found
