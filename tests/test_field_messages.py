"""Body validation names the offending field; a provider may document its own message for it."""

from __future__ import annotations

import asyncio

import pytest
from connexion.exceptions import BadRequestProblem

from mockserver.http.errors import ApiError, ErrorFormat, FieldProblem, _from_problem
from mockserver.openapi.validation import ReadableFormDataValidator

FORM_SCHEMA = {
    "type": "object",
    "required": ["prompt"],
    "properties": {"prompt": {"type": "string", "pattern": r"\S"},
                   "audio_length": {"type": "integer"}},
}


def _validator() -> ReadableFormDataValidator:
    return ReadableFormDataValidator(schema=FORM_SCHEMA, required=True, encoding="utf-8",
                                     strict_validation=False)


@pytest.mark.parametrize("body, field", [
    ({}, "prompt"),
    ({"prompt": "   "}, "prompt"),
    ({"prompt": "ok", "audio_length": "x"}, "audio_length"),
])
def test_form_errors_name_the_field(body: dict, field: str) -> None:
    with pytest.raises(FieldProblem) as caught:
        _validator()._validate(body)
    assert caught.value.field == field
    assert field in caught.value.detail


def test_an_empty_form_reports_the_missing_field_not_a_missing_body() -> None:
    scope = {"type": "http", "headers": [(b"content-length", b"0")]}

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    with pytest.raises(FieldProblem) as caught:
        asyncio.run(_validator().wrap_receive(receive, scope=scope))
    assert caught.value.field == "prompt"


def test_a_documented_field_message_replaces_the_validator_text() -> None:
    fmt = ErrorFormat(body=lambda e: {"error": e.message}, validation_status=422,
                      field_messages={"prompt": "Prompt is required."})
    documented = _from_problem(fmt, FieldProblem("prompt is required", "prompt"))
    other = _from_problem(fmt, FieldProblem("audio_length: bad", "audio_length"))
    plain = _from_problem(fmt, BadRequestProblem(detail="something else"))
    assert (documented.status, documented.message) == (422, "Prompt is required.")
    assert (other.status, other.message) == (422, "audio_length: bad")
    assert isinstance(plain, ApiError) and plain.message == "something else"
