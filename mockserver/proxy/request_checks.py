"""A request against its operation in the spec, with the mock's own validators: its
parameters and its body. What the proxy finds is reported, never refused (the request is
forwarded all the same).

Names: a request to a method and path the spec does not have is ``undocumented_operation``;
a parameter or body its schema rejects is ``request_invalid`` (the request side of the
contract suite's drift names, which name responses).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from connexion.exceptions import ProblemException
from connexion.utils import coerce_type

from mockserver.contracts.schema import Finding
from mockserver.http.errors import FieldProblem, InputRefused
from mockserver.openapi.refs import with_components
from mockserver.openapi.spec_index import SpecIndex
from mockserver.openapi.validation import (
    ReadableFormDataValidator,
    ReadableJSONBodyValidator,
    ReadableParameterValidator,
)

UNDOCUMENTED = "undocumented_operation"
INVALID = "request_invalid"


def path_parameters(template: str, path: str) -> dict[str, str]:
    """The values of ``template``'s ``{name}`` segments in ``path`` (a path it matches)."""
    pattern = re.sub(r"\\\{([^/]+?)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    found = re.fullmatch(pattern, path)
    return found.groupdict() if found else {}


class RequestChecker:
    """Checks requests against one provider's spec (paths below its base)."""

    def __init__(self, index: SpecIndex) -> None:
        self.index = index

    def check(self, method: str, path: str, query: bytes, headers: Mapping[str, str],
              body: bytes) -> list[Finding]:
        """Every way the request departs from its operation (``headers``: lower-case names)."""
        found = self.index.find(method, path)
        if found is None:
            allowed = self.index.allowed_methods(path)
            return [Finding(UNDOCUMENTED, f"{method} {path}: an operation of the spec"
                            + (f" (this path takes {', '.join(allowed)})" if allowed else ""),
                            "no such operation in the spec")]
        template, operation = found
        operation_name = f"{method} {template}"
        problems = self._parameters(template, operation, path, query, headers)
        body_problem = self._body(operation, headers.get("content-type", ""), body)
        if body_problem:
            problems.append(body_problem)
        return [Finding(INVALID, f"{operation_name} {where}", actual) for where, actual in problems]

    def _parameters(self, template: str, operation: dict[str, Any], path: str, query: bytes,
                    headers: Mapping[str, str]) -> list[tuple[str, str]]:
        item = (self.index.spec.get("paths") or {}).get(template) or {}
        declared = [self.index.resolve(p) for p in
                    [*(item.get("parameters") or []), *(operation.get("parameters") or [])]]
        values: dict[str, Mapping[str, str]] = {
            "path": path_parameters(template, path),
            "query": dict(parse_qsl(query.decode("latin-1"), keep_blank_values=True)),
            "header": headers,
        }
        problems = []
        for param in declared:
            place, name = param.get("in", ""), param.get("name", "")
            if place not in values:
                continue
            raw = values[place].get(name.lower() if place == "header" else name)
            param = {**param, "schema": self.index.resolve(param.get("schema") or {})}
            value = None if raw is None else coerce_type(param, raw, place, name)
            error = ReadableParameterValidator.parameter_error(place, value, param)
            if error is not None:
                problems.append((f"{place} {name}: {error[1]}", error[0]))
        return problems

    def _body(self, operation: dict[str, Any], content_type: str,
              body: bytes) -> tuple[str, str] | None:
        request_body = self.index.resolve(operation.get("requestBody") or {})
        content = request_body.get("content") or {}
        if not content:
            return None
        media = content_type.split(";")[0].strip().lower()
        if not body and not request_body.get("required"):
            return None
        if media not in content:
            return (f"body: Content-Type one of {', '.join(content)}",
                    f"Content-Type {media or '(none)'}")
        schema = self.index.resolve(content[media].get("schema") or {})
        try:
            if "json" in media:
                json_validator = ReadableJSONBodyValidator(
                    schema=with_components(self.index.spec, schema), encoding="utf-8",
                    strict_validation=False)
                json_validator._parse_and_validate(body)
            elif media == "application/x-www-form-urlencoded":
                form_validator = ReadableFormDataValidator(
                    schema=with_components(self.index.spec, schema), encoding="utf-8",
                    strict_validation=False)
                form_validator._validate(self._form(schema, body))
        except FieldProblem as problem:
            return f"body {problem.field or '(body)'}: {problem.rule}", str(problem.detail)
        except ProblemException as problem:
            return "body: valid", str(problem.detail)
        except InputRefused as refused:
            return "body: strict JSON", refused.message
        return None

    def _form(self, schema: dict[str, Any], body: bytes) -> dict[str, Any]:
        """A urlencoded body with each field coerced to its property's type."""
        properties = schema.get("properties") or {}
        form: dict[str, Any] = {}
        for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            definition = self.index.resolve(properties.get(name) or {})
            form[name] = coerce_type(definition, value, "requestBody", name) if definition \
                else value
        return form
