"""Webhooks through the proxy: a submit's callback URL is swapped for one of the proxy's
relay URLs (``/_mock/relay/<n>``); what the provider then POSTs there is checked against the
spec's webhook and passed on to the app's own URL.

The callback fields are read off the spec (request properties named ``webhook_url``,
``callback_url``, ...); the webhook bodies' schemas are the spec's top-level ``webhooks``
(OpenAPI 3.1, which the mock's 3.0 loading drops, so they are read from the spec file).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode

import yaml

from mockserver.contracts.schema import Finding, schema_findings
from mockserver.core.store import Store
from mockserver.openapi.spec_index import SpecIndex
from mockserver.openapi.specs import SPEC_DIR

CALLBACK_FIELD = re.compile(r"^(webhook|callback)_?url$", re.IGNORECASE)
RELAY_PATH = "/_mock/relay/"
SCHEMA = """
CREATE TABLE IF NOT EXISTS proxy_relays (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    target TEXT NOT NULL,
    operation TEXT NOT NULL
);
"""


def callback_fields(spec: dict[str, Any]) -> frozenset[str]:
    """Every property name in the spec that carries a callback URL."""
    return frozenset(name for name in _property_names(spec) if CALLBACK_FIELD.match(name))


def _property_names(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict):
            yield from (name for name in properties if isinstance(name, str))
        for value in node.values():
            yield from _property_names(value)
    elif isinstance(node, list):
        for value in node:
            yield from _property_names(value)


def webhook_operations(spec_name: str) -> list[dict[str, Any]]:
    """The ``post`` operations of the spec file's top-level ``webhooks``."""
    with open(SPEC_DIR / f"{spec_name}.yaml", encoding="utf-8") as fh:
        raw = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return [item["post"] for item in (raw.get("webhooks") or {}).values()
            if isinstance(item, dict) and isinstance(item.get("post"), dict)]


class Relays:
    """Relay URLs handed to the provider, each with the app's URL it stands for."""

    def __init__(self, store: Store, fields: frozenset[str]) -> None:
        self.store = store
        self.fields = fields
        store.migrate(SCHEMA)

    def swap(self, content_type: str, body: bytes, relay_base: str, operation: str) -> bytes:
        """``body`` with each non-empty callback URL replaced by a new relay URL (the body
        unchanged when it has none, or is neither JSON nor a form)."""
        if not self.fields or not body:
            return body
        if "json" in content_type:
            try:
                data = json.loads(body)
            except ValueError:
                return body
            if not isinstance(data, dict) or not self._swap_fields(data, relay_base, operation):
                return body
            return json.dumps(data).encode()
        if "x-www-form-urlencoded" in content_type:
            pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
            form = dict(pairs)
            if not self._swap_fields(form, relay_base, operation):
                return body
            return urlencode([(k, form[k] if k in form else v) for k, v in pairs]).encode()
        return body

    def _swap_fields(self, data: dict[str, Any], relay_base: str, operation: str) -> bool:
        swapped = False
        for name in self.fields & set(data):
            target = data[name]
            if isinstance(target, str) and target.strip():
                relay = self.store.execute(
                    "INSERT INTO proxy_relays (target, operation) VALUES (?, ?) RETURNING id",
                    (target, operation)).fetchone()[0]
                data[name] = f"{relay_base}{RELAY_PATH}{relay}"
                swapped = True
        return swapped

    def target(self, relay: int) -> tuple[str, str] | None:
        """(the app's URL, the submit's operation) a relay stands for, or None."""
        row = self.store.one("SELECT target, operation FROM proxy_relays WHERE id = ?", (relay,))
        return (row["target"], row["operation"]) if row else None


class WebhookCheck:
    """A webhook body and headers against the spec's webhooks (the first that fits)."""

    def __init__(self, index: SpecIndex, operations: list[dict[str, Any]]) -> None:
        self.index = index
        self.operations = operations

    def check(self, headers: dict[str, str], body: bytes) -> list[Finding]:
        """The departures of one webhook from the documented one (none documented: none)."""
        best: list[Finding] | None = None
        for operation in self.operations:
            found = self._check_one(operation, headers, body)
            if not found:
                return []
            best = found if best is None or len(found) < len(best) else best
        return best or []

    def _check_one(self, operation: dict[str, Any], headers: dict[str, str],
                   body: bytes) -> list[Finding]:
        found = [Finding("field_dropped", f"webhook header {p['name']}", "not sent")
                 for p in operation.get("parameters") or []
                 if p.get("in") == "header" and p.get("required")
                 and p["name"].lower() not in headers]
        content = (operation.get("requestBody") or {}).get("content") or {}
        schema = (content.get("application/json") or {}).get("schema")
        if schema is None:
            return found
        try:
            payload = json.loads(body)
        except ValueError:
            return [*found, Finding("type_changed", "webhook body: application/json",
                                    f"{len(body)} bytes that are not JSON")]
        return [*found, *schema_findings(self.index, schema, payload, False, "webhook ")]
