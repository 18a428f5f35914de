"""Check one response against the spec: documented status, documented body; name what broke.

A missing required property is ``field_dropped``, a wrong type ``type_changed``, a value
outside its enum ``enum_violation``, an undocumented status ``status_code_changed``; on an
error status any mismatch is ``error_shape``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from connexion.json_schema import Draft4ResponseValidator
from jsonschema import Draft4Validator
from jsonschema.exceptions import best_match

from mockserver.openapi.specs import load_spec

_KIND = {"required": "field_dropped", "type": "type_changed", "enum": "enum_violation"}


@dataclass(frozen=True)
class Finding:
    """A spec mismatch in one response."""

    name: str
    expected: str
    actual: str


class SpecIndex:
    """The spec's operations, matched by method and path (relative to the base URL)."""

    def __init__(self, provider: str) -> None:
        self.spec = load_spec(provider)
        self.ops: list[tuple[str, re.Pattern[str], str, dict]] = []
        for path, item in self.spec.get("paths", {}).items():
            pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
            for method, op in item.items():
                if isinstance(op, dict) and "responses" in op:
                    self.ops.append((method.upper(), pattern, path, op))
        # Literal paths before templated ones, so /generate/batch is not /generate/{task_id}.
        self.ops.sort(key=lambda o: o[2].count("{"))

    def operation(self, method: str, path: str) -> tuple[str, dict] | None:
        """(path template, operation) for a request, or None when the spec has no such one."""
        for m, pattern, template, op in self.ops:
            if m == method.upper() and pattern.match(path):
                return template, op
        return None

    def resolve(self, node: dict) -> dict:
        """Follow a local ``$ref``."""
        while isinstance(node, dict) and "$ref" in node:
            target: Any = self.spec
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
        return node

    def response(self, op: dict, status: int) -> dict | None:
        """The documented response for a status (exact, then ``4XX``, then ``default``)."""
        responses = op.get("responses", {})
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in responses:
                return self.resolve(responses[key])
        return None

    def validator(self, schema: dict) -> Draft4ResponseValidator:
        """A validator that understands ``nullable`` and resolves the spec's components."""
        return Draft4ResponseValidator({**schema, "components": self.spec.get("components", {})},
                                       format_checker=Draft4Validator.FORMAT_CHECKER)

    def schema_findings(self, schema: dict, body: Any, error_status: bool,
                        where: str = "") -> list[Finding]:
        """Mismatches of ``body`` against ``schema``, one per kind."""
        found: dict[str, Finding] = {}
        for error in self.validator(schema).iter_errors(body):
            leaf = _leaf(error)
            name = "error_shape" if error_status else _KIND.get(leaf.validator, "schema_violation")
            at = "/".join(str(p) for p in leaf.absolute_path) or "(body)"
            found.setdefault(name, Finding(
                name, f"{where}{at}: {leaf.validator} {_short(leaf.validator_value)}",
                leaf.message[:300]))
        return list(found.values())


def _leaf(error: Any) -> Any:
    """The most specific error below an anyOf/oneOf, so the kind is the real one."""
    while error.context:
        error = best_match(error.context)
    return error


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) < 120 else text[:117] + "..."


@lru_cache(maxsize=None)
def index_for(provider: str) -> SpecIndex:
    """One cached index per provider."""
    return SpecIndex(provider)


def check_response(provider: str, method: str, path: str, status: int,
                   content_type: str, body: Any) -> list[Finding]:
    """Every way one response departs from the spec (empty when it conforms)."""
    index = index_for(provider)
    found = index.operation(method, path)
    if found is None:
        return []
    template, op = found
    documented = index.response(op, status)
    if documented is None:
        statuses = ", ".join(sorted(op.get("responses", {})))
        return [Finding("status_code_changed", f"{method} {template}: one of {statuses}",
                        f"{status}")]
    content = documented.get("content") or {}
    schema = (content.get("application/json") or {}).get("schema")
    if schema is None or "json" not in content_type:
        if schema is not None:
            name = "error_shape" if status >= 400 else "type_changed"
            return [Finding(name, f"{method} {template} {status}: application/json",
                            content_type or "(no content type)")]
        return []
    return index.schema_findings(schema, body, status >= 400, f"{method} {template} {status} ")
