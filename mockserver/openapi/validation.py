"""Request-body validation with messages that name the field and the rule.

connexion's own JSON validator reports the first error jsonschema finds (for ``anyOf``
that is "is not valid under any of the given schemas") and crashes on non-UTF-8 bodies.
This one reports jsonschema's best match, with a readable path and the offending value cut
short, and refuses bad bytes with a 400. Bodies are parsed strictly within the input limits
(``input_guard.loads``); a large one is parsed and validated in a worker thread.
"""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncGenerator
from typing import Any, ClassVar

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem
from connexion.json_schema import Draft4RequestValidator
from connexion.validators import (
    VALIDATOR_MAP,
    FormDataValidator,
    JSONRequestBodyValidator,
    MultiPartFormDataValidator,
    ParameterValidator,
)
from jsonschema import Draft4Validator, Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from starlette.datastructures import Headers
from starlette.formparsers import MultiPartException
from starlette.types import Receive, Scope

from mockserver.core.settings import InputLimits
from mockserver.http.errors import FieldProblem, PathParameterProblem, elide, form_refusal
from mockserver.http.input_guard import check_structure, loads, off_loop
from mockserver.http.media_types import is_json_text, takes_form
from mockserver.openapi.schema_errors import error_field, field_path, missing_property

ECHO_LIMIT = 100
"""The longest rendering of an offending value inside a validation message."""

_PCT = r"%[0-9A-Fa-f]{2}"
_SUB = r"A-Za-z0-9\-._~!$&'()*+,;="
_URI = re.compile(
    rf"[A-Za-z][A-Za-z0-9+.\-]*:"
    rf"(?://(?:(?:[{_SUB}:]|{_PCT})*@)?(?:\[[0-9A-Fa-f:.vV]+\]|(?:[{_SUB}]|{_PCT})*)(?::[0-9]*)?)?"
    rf"(?:[{_SUB}:@/]|{_PCT})*(?:\?(?:[{_SUB}:@/?]|{_PCT})*)?(?:#(?:[{_SUB}:@/?]|{_PCT})*)?")

DEFAULT_LIMITS = InputLimits()
"""The input limits when a server is built without a config."""


def is_uri(value: Any) -> bool:
    """An absolute URI by RFC 3986's characters and shape (scheme, authority, path, query,
    fragment); non-strings pass (``type`` judges them)."""
    return not isinstance(value, str) or _URI.fullmatch(value) is not None


FORMAT_CHECKER = FormatChecker()
"""Draft 4's format checks plus ``uuid`` and ``uri``, which connexion's Draft 4 checker lacks
(``uri`` needs the optional rfc3987 package there)."""
FORMAT_CHECKER.checkers = {**Draft4Validator.FORMAT_CHECKER.checkers,
                           "uuid": Draft202012Validator.FORMAT_CHECKER.checkers["uuid"]}
FORMAT_CHECKER.checks("uri")(is_uri)


_COMPILED: dict[tuple[type, int], tuple[dict[str, Any], Draft4Validator]] = {}
"""Validators built once per (kind, schema): the schemas are the loaded specs' own dicts,
which live as long as the server (each entry holds its schema, so an id is never reused
while its entry exists)."""


def compiled(kind: type[Draft4Validator], schema: dict[str, Any]) -> Draft4Validator:
    """The validator of ``kind`` for ``schema`` with the format checks, built on first use
    (connexion builds one per request; building is a third of validating a small body)."""
    found = _COMPILED.get((kind, id(schema)))
    if found is not None and found[0] is schema:
        return found[1]
    validator = kind(schema, format_checker=FORMAT_CHECKER)
    _COMPILED[(kind, id(schema))] = (schema, validator)
    return validator


def message_of(error: ValidationError) -> str:
    """jsonschema's message with the offending value cut short (it quotes the value whole:
    a 10 MB array would come back in the error)."""
    message = error.message
    if len(message) > 2 * ECHO_LIMIT:
        shown = repr(error.instance)
        if len(shown) > ECHO_LIMIT:
            message = message.replace(shown, elide(shown, ECHO_LIMIT))
    return message


def describe(error: ValidationError) -> str:
    """One sentence for a validation error: where, and which rule it breaks."""
    if error.validator == "required":
        missing = missing_property(error)
        named = error.message if missing is None else missing
        return f"{field_path([*error.absolute_path, named])} is required"
    where = field_path(error.absolute_path)
    message = message_of(error)
    if error.validator == "additionalProperties" and not where:
        return message
    return f"{where}: {message}" if where else message


def rule_of(error: ValidationError) -> str:
    """The JSON Schema keyword an error breaks; ``format:uuid``, ``type:string`` for those two."""
    if error.validator in ("format", "type") and isinstance(error.validator_value, str):
        return f"{error.validator}:{error.validator_value}"
    return str(error.validator)


def field_problem(error: ValidationError) -> FieldProblem:
    """The problem to raise for a body validation error."""
    return FieldProblem(describe(error), error_field(error), rule_of(error))


class ReadableJSONBodyValidator(JSONRequestBodyValidator):
    """JSON body validator: strict JSON within the input limits; bad bytes, bad syntax and
    schema errors as clear 400s.

    ``_parse`` validates the body as soon as it is parsed, in a worker thread for a large
    body (validating thousands of items takes seconds of CPU); connexion's own later
    ``_validate`` call then has nothing left to do.
    """

    limits: ClassVar[InputLimits] = InputLimits()
    _validated = False

    async def _parse(self, stream: AsyncGenerator[bytes, None], scope: Scope) -> Any:
        raw = b"".join([chunk async for chunk in stream])
        return await off_loop(len(raw), self._parse_and_validate, raw)

    def _parse_and_validate(self, raw: bytes) -> Any:
        body = loads(raw, self.limits, encoding=self._encoding) if raw else None
        if not (body is None and self._nullable):
            self._validate(body)
        self._validated = True
        return body

    @property
    def _validator(self) -> Draft4Validator:
        return compiled(Draft4RequestValidator, self._schema)

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if self._validated:
            return None
        if not self._nullable and body is None:
            raise FieldProblem("request body is required and must be JSON", "", "required")
        error = best_match(self._validator.iter_errors(body))
        if error is not None:
            raise field_problem(error)
        return None


class ReadableFormDataValidator(FormDataValidator):
    """Form body validator (urlencoded) whose errors name the field, like the JSON one.

    An empty form is a form without fields: a required one is reported by name, not as a
    missing body. JSON text sent as a form is refused as such (not as a form without its
    required fields), once it has passed JSON's limits. A field over ``limits.field_bytes``
    is a 413.
    """

    limits: ClassVar[InputLimits] = InputLimits()

    @property
    def _form_parser_cls(self) -> Any:
        return functools.partial(super()._form_parser_cls, max_part_size=self.limits.field_bytes)

    async def _parse(self, stream: AsyncGenerator[bytes, None], scope: Scope) -> Any:
        raw = b"".join([chunk async for chunk in stream])
        if raw.lstrip()[:1] in (b"{", b"["):
            check_structure(raw, self.limits)
            if is_json_text(raw):
                raise BadRequestProblem(detail=takes_form(self._schema, "JSON"))

        async def again() -> AsyncGenerator[bytes, None]:
            yield raw

        try:
            return await super()._parse(again(), scope)
        except MultiPartException as exc:
            raise form_refusal(exc) from None

    async def wrap_receive(self, receive: Receive, *, scope: Scope) -> tuple[Receive, Scope]:
        empty = not int(Headers(scope=scope).get("content-length", 0) or 0)
        if empty and self._required and self._schema.get("default") is None:
            self._validate({})
        wrapped: tuple[Receive, Scope] = await super().wrap_receive(receive, scope=scope)
        return wrapped

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if not isinstance(body, dict):
            raise BadRequestProblem(detail="request body must be a form")
        if self._strict_validation:
            self._validate_params_strictly(body)
        error = best_match(self._validator.iter_errors(body))
        if error is not None:
            raise field_problem(error)
        return None


class ReadableMultiPartValidator(ReadableFormDataValidator, MultiPartFormDataValidator):
    """The same for ``multipart/form-data`` (the readable class first: its parser limit
    wraps the multipart parser)."""


class ReadableParameterValidator(ParameterValidator):
    """Parameter validator with one-line messages; a bad path parameter is its own problem."""

    @staticmethod
    def parameter_error(parameter_type: str, value: Any, param: dict[str, Any]) -> tuple[str, str] | None:
        """(message, broken JSON Schema keyword) for an invalid parameter value, or None."""
        if value is None:
            if param.get("required"):
                return f"{parameter_type} parameter {param['name']!r} is required", "required"
            return None
        if value == "" and param.get("schema", {}).get("nullable"):
            return None
        schema = param.get("schema", param)
        error = best_match(compiled(Draft4Validator, schema).iter_errors(value))
        if error is None:
            return None
        return f"{parameter_type} parameter {param['name']!r}: {message_of(error)}", rule_of(error)

    @staticmethod
    def validate_parameter(parameter_type: str, value: Any, param: dict[str, Any],
                           param_name: str | None = None) -> str | None:
        found = ReadableParameterValidator.parameter_error(parameter_type, value, param)
        return found[0] if found else None

    def validate_query_parameter(self, param: dict[str, Any], request: Any) -> str | None:
        found = self.parameter_error("query", request.query_params.get(param["name"]), param)
        if found:
            raise FieldProblem(found[0], param["name"], found[1], place="query")
        return None

    def validate_header_parameter(self, param: dict[str, Any], request: Any) -> str | None:
        found = self.parameter_error("header", request.headers.get(param["name"]), param)
        if found:
            raise FieldProblem(found[0], param["name"], found[1], place="header")
        return None

    def validate_path_parameter(self, param: dict[str, Any], request: Any) -> str | None:
        error = super().validate_path_parameter(param, request)
        if error:
            raise PathParameterProblem(detail=error)
        return None


def _bound(cls: type, limits: InputLimits) -> type:
    """``cls`` with ``limits`` (connexion builds validators itself, with fixed arguments)."""
    return type(cls.__name__, (cls,), {"limits": limits})


def validator_map(limits: InputLimits = DEFAULT_LIMITS) -> dict[str, Any]:
    """connexion's validator map with the readable body and parameter validators, holding
    bodies to ``limits``."""
    body = dict(VALIDATOR_MAP["body"])
    body["*/*json"] = _bound(ReadableJSONBodyValidator, limits)
    body["application/x-www-form-urlencoded"] = _bound(ReadableFormDataValidator, limits)
    body["multipart/form-data"] = _bound(ReadableMultiPartValidator, limits)
    return {**VALIDATOR_MAP, "parameter": ReadableParameterValidator, "body": MediaTypeDict(body)}
