"""The shortest durations a conformance run asks for: length fields read off the spec, per
operation, for the schemathesis hook in ``st_hooks``."""

from __future__ import annotations

from typing import Any

from mockserver.openapi.refs import pointer, resolve

DURATION_FIELDS = ("duration", "audio_length", "time")
CAP_SECONDS = 2


def duration_caps(spec: dict, cap: float = CAP_SECONDS) -> dict[str, dict[str, list]]:
    """``{"METHOD /path": {field: [cap, documented maximum or None, fill]}}``: each
    operation's request length fields (``$ref``/``allOf`` followed) whose maximum allows more
    than the cap. A field found twice keeps its smallest documented maximum. ``fill`` is true
    when a top-level field's documented default is above the cap: left out, it would ask for
    the default length, so the hook sends the cap instead."""
    caps: dict[str, dict[str, list]] = {}
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "put", "post", "patch", "delete"):
                continue
            found: dict[str, list[float | None]] = {}
            request = [*(operation.get("parameters") or []), operation.get("requestBody")]
            _collect(spec, request, found, frozenset())
            defaults = _top_level_defaults(spec, operation)
            wanted = {}
            for key, maxima in found.items():
                bounded = [m for m in maxima if m is not None]
                maximum = min(bounded) if bounded else None
                if maximum is None or maximum > cap:
                    wanted[key] = [cap, maximum, defaults.get(key, 0) > cap]
            if wanted:
                caps[f"{method.upper()} {path}"] = wanted
    return caps


def nested_fills(spec: dict, cap: float = CAP_SECONDS) -> dict[str, list[list]]:
    """``{"METHOD /path": [[place, field, cap], ...]}``: length fields below the top of a
    request body whose documented default is above the cap (a Muzaic region's ``duration``
    defaults to 60 s). ``place`` is the list of keys from the body down to the object, ``"[]"``
    standing for every item of an array. Left out there, the field asks for the default
    length; the hook sends the cap instead, as ``fill`` does at the top level."""
    fills: dict[str, list[list]] = {}
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "put", "post", "patch", "delete"):
                continue
            body = resolve(spec, operation.get("requestBody") or {})
            found: list[list] = []
            for media in (body.get("content") or {}).values():
                schema = resolve(spec, media.get("schema") or {})
                for key, child in (schema.get("properties") or {}).items():
                    _defaults_below(spec, child, [key], cap, found, frozenset())
            if found:
                fills[f"{method.upper()} {path}"] = found
    return fills


def _defaults_below(spec: dict, node: Any, place: list[str], cap: float, found: list[list],
                    seen: frozenset[str]) -> None:
    """Append ``[place, field, cap]`` for each long-default length field of the object (or
    array of objects) at ``place``, and go on down through properties and items."""
    ref = node.get("$ref") if isinstance(node, dict) else None
    if isinstance(ref, str):
        if ref in seen:
            return
        seen = seen | {ref}
    node = resolve(spec, node)
    if node.get("type") == "array" or "items" in node:
        _defaults_below(spec, node.get("items") or {}, [*place, "[]"], cap, found, seen)
        return
    for key, child in (node.get("properties") or {}).items():
        child_schema = resolve(spec, child)
        default = child_schema.get("default")
        if (key in DURATION_FIELDS and isinstance(default, (int, float))
                and not isinstance(default, bool) and default > cap):
            found.append([place, key, cap])
        _defaults_below(spec, child, [*place, key], cap, found, seen)


def _collect(spec: dict, node: Any, found: dict[str, list[float | None]],
             seen: frozenset[str]) -> None:
    """Append the documented maximum (or None) of every length field under ``node``."""
    if isinstance(node, list):
        for value in node:
            _collect(spec, value, found, seen)
        return
    if not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        if ref not in seen:
            _collect(spec, pointer(spec, ref), found, seen | {ref})
        return
    properties = node.get("properties") if isinstance(node.get("properties"), dict) else {}
    fields = list(properties.items())
    if node.get("in") == "query" and isinstance(node.get("name"), str):
        fields.append((node["name"], node.get("schema") or {}))
    for key, value in fields:
        if key in DURATION_FIELDS and isinstance(value, dict):
            found.setdefault(key, []).append(_maximum(spec, value, set(seen)))
    for key, value in node.items():
        _collect(spec, list(value.values()) if key == "properties" and isinstance(
            value, dict) else value, found, seen)


def _top_level_defaults(spec: dict, operation: dict) -> dict[str, float]:
    """Numeric defaults of the length fields at the top of the request body and the query."""
    out: dict[str, float] = {}
    fields: list[tuple[str, Any]] = [(p.get("name"), p.get("schema")) for p in (
        resolve(spec, p) for p in operation.get("parameters") or []) if p.get("in") == "query"]
    body = resolve(spec, operation.get("requestBody") or {})
    for media in (body.get("content") or {}).values():
        schema = resolve(spec, media.get("schema") or {})
        fields += list((schema.get("properties") or {}).items())
    for name, schema in fields:
        schema = resolve(spec, schema or {})
        default = schema.get("default")
        if name in DURATION_FIELDS and isinstance(default, (int, float)):
            out[name] = max(out.get(name, default), default)
    return out


def _maximum(spec: dict, schema: dict, seen: set[str]) -> float | None:
    """The documented maximum of a number schema (through ``$ref``/``allOf``); None: none."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/") and ref not in seen:
        return _maximum(spec, pointer(spec, ref), seen | {ref})
    bounds = [schema["maximum"]] if isinstance(schema.get("maximum"), (int, float)) else []
    for part in schema.get("allOf") or []:
        if isinstance(part, dict):
            inner = _maximum(spec, part, seen)
            if inner is not None:
                bounds.append(inner)
    return min(bounds) if bounds else None
