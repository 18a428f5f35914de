"""Request-body validation with messages that name the field and the rule.

connexion's own JSON validator reports the first error jsonschema finds (for ``anyOf``
that is "is not valid under any of the given schemas") and crashes on non-UTF-8 bodies.
This one reports jsonschema's best match, with a readable path, and refuses bad bytes
with a 400.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Iterable
from typing import Any

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem
from connexion.validators import VALIDATOR_MAP, JSONRequestBodyValidator, ParameterValidator
from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError, best_match
from starlette.types import Scope

from .errors import PathParameterProblem


def field_path(path: Iterable[Any]) -> str:
    """``['regions', 0, 'params']`` -> ``regions[0].params``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def describe(error: ValidationError) -> str:
    """One sentence for a validation error: where, and which rule it breaks."""
    where = field_path(error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        name = f"{where}.{missing}" if where else missing
        return f"{name} is required"
    if error.validator == "additionalProperties" and not where:
        return error.message
    return f"{where}: {error.message}" if where else error.message


class ReadableJSONBodyValidator(JSONRequestBodyValidator):
    """JSON body validator: UTF-8 and JSON syntax errors and schema errors as clear 400s."""

    async def _parse(self, stream: AsyncGenerator[bytes, None], scope: Scope) -> Any:
        raw = b"".join([chunk async for chunk in stream])
        try:
            text = raw.decode(self._encoding)
        except (UnicodeDecodeError, LookupError):
            raise BadRequestProblem(detail="request body is not valid UTF-8 text") from None
        if not text:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadRequestProblem(detail=f"request body is not valid JSON: {exc}") from None

    def _validate(self, body: Any) -> dict | None:
        if not self._nullable and body is None:
            raise BadRequestProblem(detail="request body is required and must be JSON")
        error = best_match(self._validator.iter_errors(body))
        if error is not None:
            raise BadRequestProblem(detail=describe(error))
        return None


class ReadableParameterValidator(ParameterValidator):
    """Parameter validator with one-line messages; a bad path parameter is its own problem."""

    @staticmethod
    def validate_parameter(parameter_type: str, value: Any, param: dict,
                           param_name: str | None = None) -> str | None:
        if value is None:
            if param.get("required"):
                return f"{parameter_type} parameter {param['name']!r} is required"
            return None
        if value == "" and param.get("schema", {}).get("nullable"):
            return None
        schema = param.get("schema", param)
        error = best_match(Draft4Validator(
            schema, format_checker=Draft4Validator.FORMAT_CHECKER).iter_errors(value))
        if error is None:
            return None
        return f"{parameter_type} parameter {param['name']!r}: {error.message}"

    def validate_path_parameter(self, param: dict, request: Any) -> str | None:
        error = super().validate_path_parameter(param, request)
        if error:
            raise PathParameterProblem(detail=error)
        return None


def validator_map() -> dict[str, Any]:
    """connexion's validator map with the readable body and parameter validators."""
    body = dict(VALIDATOR_MAP["body"])
    body["*/*json"] = ReadableJSONBodyValidator
    return {**VALIDATOR_MAP, "parameter": ReadableParameterValidator, "body": MediaTypeDict(body)}
