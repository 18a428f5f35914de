"""The spec loader: provider specs load, and OpenAPI 3.1 documents become valid 3.0."""

from __future__ import annotations

import connexion
import pytest
from connexion.resolver import Resolver

from mockserver.openapi.specs import SPEC_DIR, SpecConversionError, load_spec, to_openapi_30

SPEC_31 = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1", "summary": "s", "license": {"name": "MIT", "identifier": "MIT"}},
    "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
    "paths": {
        "/things": {
            "post": {
                "requestBody": {"content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {
                        "name": {"type": ["string", "null"], "examples": ["a", "b"]},
                        "kind": {"const": "x"},
                        "size": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 10},
                        "ref": {"$ref": "#/components/schemas/Thing", "description": "d"},
                        "either": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                        "many": {"type": ["integer", "string"]},
                    },
                }}}},
                "responses": {"200": {"description": "ok"}},
            }
        }
    },
    "components": {"schemas": {"Thing": {"type": "object", "properties": {"id": {"type": "string", "contentMediaType": "text/plain"}}}}},
    "webhooks": {},
}


def test_31_document_becomes_30() -> None:
    spec = to_openapi_30(SPEC_31)
    assert spec["openapi"] == "3.0.3"
    assert "jsonSchemaDialect" not in spec and "webhooks" not in spec
    props = spec["paths"]["/things"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert props["name"] == {"type": "string", "nullable": True, "example": "a"}
    assert props["kind"] == {"enum": ["x"]}
    assert props["size"] == {"type": "number", "minimum": 0, "exclusiveMinimum": True,
                             "maximum": 10, "exclusiveMaximum": True}
    assert props["ref"] == {"allOf": [{"$ref": "#/components/schemas/Thing"}], "description": "d"}
    assert props["either"] == {"type": "integer", "nullable": True}
    assert props["many"] == {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    assert spec["components"]["schemas"]["Thing"]["properties"]["id"] == {"type": "string"}
    assert SPEC_31["openapi"] == "3.1.0", "the input document is not modified"


def test_converted_document_loads_in_connexion() -> None:
    app = connexion.AsyncApp(__name__)
    app.add_api(to_openapi_30(SPEC_31), resolver=Resolver(lambda _name: (lambda: ({}, 200))))


def test_30_document_is_returned_unchanged() -> None:
    spec = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {}}
    assert to_openapi_30(spec) == spec


def test_tuple_schemas_are_refused_not_dropped() -> None:
    spec = {**SPEC_31, "components": {"schemas": {"Pair": {"type": "array", "prefixItems": [{"type": "number"}]}}}}
    with pytest.raises(SpecConversionError):
        to_openapi_30(spec)


@pytest.mark.parametrize("path", sorted(SPEC_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_provider_spec_loads(path) -> None:
    spec = load_spec(path)
    assert spec["openapi"].startswith("3.0")
    for item in spec["paths"].values():
        for method, operation in item.items():
            if isinstance(operation, dict) and method in {"get", "post", "put", "delete", "patch"}:
                assert "operationId" not in operation, "handlers bind by (method, path)"
