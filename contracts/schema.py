"""Check one response against the spec: documented status, documented body; name what broke.

The spec index is the mock's (``mockserver.openapi.spec_index``); this module adds what only
the contract suite needs: naming each mismatch as a drift kind.

A missing required property is ``field_dropped``, a wrong type ``type_changed``, a value
outside its enum ``enum_violation``, an undocumented status ``status_code_changed``; on an
error status any mismatch is ``error_shape``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jsonschema.exceptions import best_match

from mockserver.openapi.spec_index import SpecIndex, index_for

_KIND = {"required": "field_dropped", "type": "type_changed", "enum": "enum_violation"}


@dataclass(frozen=True)
class Finding:
    """A spec mismatch in one response."""

    name: str
    expected: str
    actual: str


def schema_findings(index: SpecIndex, schema: dict, body: Any, error_status: bool,
                    where: str = "") -> list[Finding]:
    """Mismatches of ``body`` against ``schema`` (one of ``index``'s spec), one per kind."""
    found: dict[str, Finding] = {}
    for error in index.response_validator(schema).iter_errors(body):
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


def check_response(provider: str, method: str, path: str, status: int,
                   content_type: str, body: Any) -> list[Finding]:
    """Every way one response departs from the spec (empty when it conforms)."""
    index = index_for(provider)
    found = index.find(method, path)
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
    return schema_findings(index, schema, body, status >= 400, f"{method} {template} {status} ")
