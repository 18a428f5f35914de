"""Check a response body against the schema its spec documents for it (through the spec
index the mock and the contract suite share)."""

from __future__ import annotations

from typing import Any

from mockserver.openapi.spec_index import index_for


def assert_documented(provider_spec: str, method: str, path: str, status: int, body: Any,
                      content_type: str = "application/json") -> None:
    """Fail unless ``status`` is documented for the operation and ``body`` fits its schema."""
    index = index_for(provider_spec)
    operation = index.spec["paths"][path][method.lower()]
    responses = operation["responses"]
    assert str(status) in responses, f"{method} {path}: status {status} is not documented"
    response = index.resolve(responses[str(status)])
    schema = index.resolve(response["content"][content_type]["schema"])
    errors = sorted(index.response_validator(schema).iter_errors(body), key=str)
    assert not errors, f"{method} {path} {status}: {errors[0].message} at {list(errors[0].path)}"


def assert_schema(provider_spec: str, schema_name: str, body: Any) -> None:
    """Fail unless ``body`` fits the spec's ``components.schemas[schema_name]`` (e.g. a
    webhook payload, which no response documents)."""
    index = index_for(provider_spec)
    schema = index.spec["components"]["schemas"][schema_name]
    errors = sorted(index.response_validator(schema).iter_errors(body), key=str)
    assert not errors, f"{schema_name}: {errors[0].message} at {list(errors[0].path)}"
