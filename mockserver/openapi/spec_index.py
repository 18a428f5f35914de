"""Find the spec operation a request path belongs to, outside connexion's routing: the one
index the mock and the contract suite share.

The mock uses it where connexion does not tell us the operation: error handlers (which
statuses does the operation document, which methods does its path allow), the rate-limit
middleware (does the operation need a key at all) and the media-type middleware. The
contract suite (``mockserver.contracts.schema``) and the tests' spec checks use it to find
the documented response of a request and the validator for its schema.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from connexion.json_schema import Draft4ResponseValidator
from jsonschema import Draft4Validator

from mockserver.openapi.refs import resolve, with_components
from mockserver.openapi.specs import load_spec

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


class SpecIndex:
    """The spec's paths as patterns below ``base_path``, each with its operations."""

    def __init__(self, spec: dict[str, Any], base_path: str = "") -> None:
        self.spec = spec
        """The spec the index was built from (its ``$ref`` are not resolved)."""
        self._default_security = spec.get("security")
        self._validators: dict[int, tuple[dict[str, Any], Draft4ResponseValidator]] = {}
        self.templates: list[str] = sorted(spec.get("paths") or {})
        """The spec's path templates (below the base path), sorted."""
        self._paths: list[tuple[re.Pattern[str], str, dict[str, dict[str, Any]]]] = []
        for path, item in (spec.get("paths") or {}).items():
            operations = {m.upper(): item[m] for m in HTTP_METHODS
                          if isinstance(item.get(m), dict)}
            pattern = re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(base_path + path))
            self._paths.append((re.compile(f"^{pattern}$"), path, operations))
        # A literal segment beats a template: "/generate/batch" before "/generate/{task_id}".
        self._paths.sort(key=lambda entry: entry[0].pattern.count("[^/]+"))

    def _operations(self, path: str) -> dict[str, dict[str, Any]]:
        for pattern, _template, operations in self._paths:
            if pattern.match(path):
                return operations
        return {}

    def find(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        """(path template, operation object) for (method, request path), preferring literal
        paths; None when the spec has no such operation."""
        for pattern, template, operations in self._paths:
            if method.upper() in operations and pattern.match(path):
                return template, operations[method.upper()]
        return None

    def operation(self, method: str, path: str) -> dict[str, Any] | None:
        """The operation object for (method, request path), preferring literal paths."""
        found = self.find(method, path)
        return found[1] if found else None

    def allowed_methods(self, path: str) -> list[str]:
        """Methods the spec defines for the path that matches ``path``."""
        return list(self._operations(path))

    def documents(self, method: str, path: str, status: int) -> bool:
        """Whether the operation at (method, request path) lists ``status``."""
        operation = self._operations(path).get(method.upper()) or {}
        return str(status) in (operation.get("responses") or {})

    def is_open(self, method: str, path: str) -> bool:
        """Whether the operation needs no key (``security: []``, or none anywhere)."""
        operation = self.operation(method, path)
        return operation is not None and not operation.get("security", self._default_security)

    def resolve(self, node: Any) -> dict[str, Any]:
        """``node`` with its ``$ref`` chain followed (see ``refs.resolve``)."""
        return resolve(self.spec, node)

    def response(self, operation: dict[str, Any], status: int) -> dict[str, Any] | None:
        """The documented response for a status (exact, then ``4XX``, then ``default``)."""
        responses = operation.get("responses") or {}
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in responses:
                return self.resolve(responses[key])
        return None

    def response_validator(self, schema: dict[str, Any]) -> Draft4ResponseValidator:
        """A validator for a response body: Draft 4 plus OpenAPI's ``nullable`` (connexion's
        response validator), resolving the spec's components; built once per schema."""
        # keyed by identity: the spec's schemas are never mutated, and the cache holds the
        # schema itself, so its id is not reused while the entry lives
        found = self._validators.get(id(schema))
        if found is None:
            found = (schema, Draft4ResponseValidator(with_components(self.spec, schema),
                                                     format_checker=Draft4Validator.FORMAT_CHECKER))
            if len(self._validators) >= 1024:  # a spec has far fewer; fresh dicts passed in
                self._validators.clear()
            self._validators[id(schema)] = found
        return found[1]


@cache
def index_for(provider: str) -> SpecIndex:
    """One cached index per bundled provider spec (paths relative to the base URL); the spec
    is read once and never mutated."""
    return SpecIndex(load_spec(provider))
