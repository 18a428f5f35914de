"""Follow a spec's local ``$ref`` pointers: the one resolver the mock, the contract suite
and the tests share.

Only local references (``#/components/...``) exist in the bundled specs; anything else, or a
pointer to nothing, resolves to ``{}`` rather than raising, so a drifted spec is reported by
the checks that read it, not by a crash here.
"""

from __future__ import annotations

from typing import Any


def pointer(spec: dict[str, Any], ref: str) -> Any:
    """The node a local ``$ref`` (``#/a/b``, JSON Pointer escapes undone) names; ``{}``
    when it names nothing or is not local. One step: a ``$ref`` found there is not followed."""
    if not ref.startswith("#/"):
        return {}
    node: Any = spec
    for part in ref[2:].split("/"):
        node = node.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(
            node, dict) else {}
    return node


def resolve(spec: dict[str, Any], node: Any) -> dict[str, Any]:
    """``node`` with its chain of ``$ref`` followed (a cycle stops where it closes); ``{}``
    for anything but a mapping."""
    seen: set[str] = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"] not in seen:
        seen.add(node["$ref"])
        node = pointer(spec, node["$ref"])
    return node if isinstance(node, dict) else {}


def with_components(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with the spec's ``components`` beside it, so that a JSON Schema validator
    resolves the schema's ``$ref`` itself."""
    return {**schema, "components": spec.get("components", {})}
