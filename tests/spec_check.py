"""Check a response body against the schema its spec documents for it."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from connexion.json_schema import Draft4ResponseValidator
from jsonschema import Draft4Validator

from mockserver.openapi.specs import load_spec


# Specs are read once per test run (parsing YAML on every check adds up); never mutated here.
_spec = lru_cache(maxsize=None)(load_spec)


def _resolve(spec: dict, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def assert_documented(provider_spec: str, method: str, path: str, status: int, body: Any,
                      content_type: str = "application/json") -> None:
    """Fail unless ``status`` is documented for the operation and ``body`` fits its schema."""
    spec = _spec(provider_spec)
    operation = spec["paths"][path][method.lower()]
    responses = operation["responses"]
    assert str(status) in responses, f"{method} {path}: status {status} is not documented"
    response = _resolve(spec, responses[str(status)])
    schema = _resolve(spec, response["content"][content_type]["schema"])
    # connexion's response validator: Draft 4 plus OpenAPI's ``nullable``.
    validator = Draft4ResponseValidator(
        {**schema, "components": spec.get("components", {})},
        format_checker=Draft4Validator.FORMAT_CHECKER,
    )
    errors = sorted(validator.iter_errors(body), key=str)
    assert not errors, f"{method} {path} {status}: {errors[0].message} at {list(errors[0].path)}"


def assert_schema(provider_spec: str, schema_name: str, body: Any) -> None:
    """Fail unless ``body`` fits the spec's ``components.schemas[schema_name]`` (e.g. a
    webhook payload, which no response documents)."""
    spec = _spec(provider_spec)
    schema = spec["components"]["schemas"][schema_name]
    validator = Draft4ResponseValidator(
        {**schema, "components": spec.get("components", {})},
        format_checker=Draft4Validator.FORMAT_CHECKER,
    )
    errors = sorted(validator.iter_errors(body), key=str)
    assert not errors, f"{schema_name}: {errors[0].message} at {list(errors[0].path)}"
