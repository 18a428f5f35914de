"""Request validation: formats connexion's checker lacks, and structured field problems."""

from __future__ import annotations

import uuid

import pytest

from mockserver.http.errors import (
    ApiError,
    ErrorFormat,
    FieldProblem,
    MalformedBodyProblem,
    _from_problem,
)
from mockserver.openapi.validation import FORMAT_CHECKER, ReadableJSONBodyValidator, is_uri

SCHEMA = {
    "type": "object",
    "required": ["key"],
    "properties": {"key": {"type": "string", "format": "uuid"},
                   "hook": {"type": "string", "format": "uri"},
                   "items": {"type": "array", "items": {"type": "integer"}}},
}


def _validator() -> ReadableJSONBodyValidator:
    return ReadableJSONBodyValidator(schema=SCHEMA, required=True, encoding="utf-8",
                                     strict_validation=False)


@pytest.mark.parametrize("value, ok", [
    (str(uuid.uuid4()), True), ("not-a-uuid", False), (uuid.uuid4().hex, False),
    ("{" + str(uuid.uuid4()) + "}", False),
])
def test_uuid_format_is_checked(value: str, ok: bool) -> None:
    assert FORMAT_CHECKER.conforms(value, "uuid") is ok


@pytest.mark.parametrize("value, ok", [
    ("https://example.com/a/b?c=d#e", True), ("http://127.0.0.1:9000/hook", True),
    ("http://[::1]:80/x", True), ("urn:isbn:0451450523", True), ("mailto:a@b.c", True),
    ("AAA", False), ("//example.com/x", False), ("http://a b", False), ("http://a/\x11", False),
    ("http://é.com", False), ("1http://x", False), ("", False),
])
def test_uri_format_is_checked(value: str, ok: bool) -> None:
    assert is_uri(value) is ok
    assert FORMAT_CHECKER.conforms(value, "uri") is ok


@pytest.mark.parametrize("body, location, rule", [
    ({}, ("body", "key"), "required"),
    ({"key": "x"}, ("body", "key"), "format:uuid"),
    ({"key": str(uuid.uuid4()), "hook": "AAA"}, ("body", "hook"), "format:uri"),
    ({"key": str(uuid.uuid4()), "items": [1, "2"]}, ("body", "items", 1), "type:integer"),
    (None, ("body",), "required"),
])
def test_body_problems_carry_location_and_rule(body: object, location: tuple,
                                               rule: str) -> None:
    with pytest.raises(FieldProblem) as caught:
        _validator()._validate(body)
    error = _from_problem(ErrorFormat(body=lambda e: {}, validation_status=422), caught.value)
    assert (error.status, error.location, error.code) == (422, location, rule)


def test_a_body_that_is_not_json_gets_the_malformed_status() -> None:
    problem = MalformedBodyProblem(detail="request body is not valid JSON")
    separate = ErrorFormat(body=lambda e: {}, validation_status=422, malformed_status=400)
    same = ErrorFormat(body=lambda e: {}, validation_status=422)
    assert _from_problem(separate, problem).status == 400
    assert _from_problem(same, problem).status == 422
    assert isinstance(_from_problem(same, problem), ApiError)
