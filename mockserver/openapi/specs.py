"""Load a provider's OpenAPI document; OpenAPI 3.1 is converted to 3.0.3 at load time.

connexion 3.3 only accepts OpenAPI 3.0 (spec-first/connexion#1396), while several providers
publish 3.1. The conversion below covers the 3.1 features those documents use; it refuses
what it cannot express rather than dropping it silently.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

SPEC_DIR = Path(__file__).resolve().parent.parent / "specs"

# Schema keywords whose values are themselves schemas (or lists/maps of schemas).
_SUBSCHEMA = ("items", "not", "additionalProperties")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SUBSCHEMA_MAPS = ("properties", "patternProperties")
# 3.1-only keywords that have no 3.0 meaning and carry no validation we rely on.
_DROP = ("$schema", "$id", "$comment", "contentMediaType", "contentEncoding")


class SpecConversionError(ValueError):
    """A 3.1 construct that cannot be expressed in OpenAPI 3.0."""


def load_spec(name_or_path: str | Path) -> dict[str, Any]:
    """Read a spec (a provider name, resolved in ``specs/``, or a path) as an OpenAPI 3.0 dict."""
    path = Path(name_or_path)
    if not path.suffix:
        path = SPEC_DIR / f"{name_or_path}.yaml"
    with open(path, encoding="utf-8") as fh:
        # libyaml's loader when PyYAML has it: ten times faster at every server start
        spec = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return to_openapi_30(spec)


def to_openapi_30(spec: dict[str, Any]) -> dict[str, Any]:
    """Return an OpenAPI 3.0.3 version of ``spec`` (unchanged copy when it already is 3.0)."""
    version = str(spec.get("openapi", ""))
    spec = copy.deepcopy(spec)
    if not version.startswith("3.1"):
        return spec
    spec["openapi"] = "3.0.3"
    for key in ("jsonSchemaDialect", "webhooks"):
        spec.pop(key, None)
    info = spec.get("info", {})
    info.pop("summary", None)
    info.get("license", {}).pop("identifier", None)
    spec.setdefault("paths", {})
    for name, schema in (spec.get("components", {}).get("schemas") or {}).items():
        spec["components"]["schemas"][name] = convert_schema(schema)
    _convert_schema_slots(spec.get("paths", {}))
    _convert_schema_slots(spec.get("components", {}), skip=("schemas",))
    return spec


def _convert_schema_slots(node: Any, skip: tuple[str, ...] = ()) -> None:
    """Find every ``schema:`` value below a non-schema node and convert it in place."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in skip:
                continue
            if key == "schema" and isinstance(value, dict):
                node[key] = convert_schema(value)
            else:
                _convert_schema_slots(value)
    elif isinstance(node, list):
        for item in node:
            _convert_schema_slots(item)


def convert_schema(schema: Any) -> Any:
    """Convert one JSON Schema 2020-12 (OpenAPI 3.1) schema to an OpenAPI 3.0 schema."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DROP:
            continue
        if key in _SUBSCHEMA and isinstance(value, dict):
            out[key] = convert_schema(value)
        elif key in _SUBSCHEMA_LISTS:
            out[key] = [convert_schema(s) for s in value]
        elif key in _SUBSCHEMA_MAPS:
            out[key] = {k: convert_schema(s) for k, s in value.items()}
        elif key == "const":
            out["enum"] = [value]
        elif key == "examples" and isinstance(value, list):
            if value:
                out["example"] = value[0]
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
            bound = "minimum" if key == "exclusiveMinimum" else "maximum"
            out[bound] = value
            out[key] = True
        elif key == "prefixItems":
            raise SpecConversionError("prefixItems (tuple schemas) has no OpenAPI 3.0 form")
        else:
            out[key] = value
    _convert_type_list(out)
    _convert_null_branch(out)
    if "$ref" in out and len(out) > 1:
        ref = out.pop("$ref")
        out = {"allOf": [{"$ref": ref}], **out}
    return out


def _convert_type_list(schema: dict[str, Any]) -> None:
    types = schema.get("type")
    if not isinstance(types, list):
        if types == "null":
            schema.pop("type")
            schema["nullable"] = True
            schema["enum"] = [None]
        return
    non_null = [t for t in types if t != "null"]
    if len(non_null) < len(types):
        schema["nullable"] = True
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
    if len(non_null) == 1:
        schema["type"] = non_null[0]
    elif not non_null:
        del schema["type"]
    else:
        del schema["type"]
        schema["anyOf"] = [{"type": t} for t in non_null]


def _convert_null_branch(schema: dict[str, Any]) -> None:
    """``anyOf/oneOf: [X, {type: null}]`` becomes ``X`` with ``nullable: true``."""
    for key in ("anyOf", "oneOf"):
        branches = schema.get(key)
        if not branches:
            continue
        kept = [b for b in branches if not (isinstance(b, dict) and b.get("enum") == [None] and b.get("nullable"))]
        if len(kept) == len(branches):
            continue
        schema["nullable"] = True
        if len(kept) == 1:
            del schema[key]
            only = kept[0]
            if "$ref" in only:
                schema.setdefault("allOf", []).append(only)
            else:
                for k, v in only.items():
                    schema.setdefault(k, v)
        else:
            schema[key] = kept
