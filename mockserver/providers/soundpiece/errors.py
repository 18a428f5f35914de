"""Soundpiece's error messages and FastAPI-shaped bodies, and the shared core's refusals in
its words."""

from __future__ import annotations

from typing import Any

from mockserver.core.errors import (
    CallbackRefused,
    DomainError,
    IdempotencyConflict,
    InsufficientBalance,
)
from mockserver.core.jobs.targets import MALFORMED, MAX_URL_LENGTH, SCHEME, TOO_LONG, Refusal
from mockserver.http.errors import ApiError, ErrorFormat, domain_error

UNAUTHORIZED = "Missing or invalid Authorization header"
INSUFFICIENT = "Insufficient credits"
CONFLICT = "idempotency_key was already used with a different request body"
NOT_FOUND = "Operation not found"

# JSON Schema keyword (see validation.rule_of) -> the pydantic error type the docs show.
ERROR_TYPES = {
    "required": "missing", "minLength": "string_too_short", "maxLength": "string_too_long",
    "pattern": "string_pattern_mismatch", "minimum": "greater_than_equal",
    "exclusiveMinimum": "greater_than", "maximum": "less_than_equal",
    "exclusiveMaximum": "less_than", "enum": "enum", "additionalProperties": "extra_forbidden",
    "format:uuid": "uuid_parsing", "format:uri": "url_parsing",
    "format:date-time": "datetime_parsing", "type:string": "string_type",
    "type:integer": "int_type", "type:number": "float_type", "type:boolean": "bool_type",
    "type:object": "dict_type", "type:array": "list_type",
    # refused callback URLs (callback_error): already pydantic's names
    "url_too_long": "url_too_long", "url_scheme": "url_scheme", "url_parsing": "url_parsing",
}

ANY_OF = "Value error, give a prompt or a non-null reference (or both)"


def error_body(error: ApiError) -> dict[str, Any]:
    """``{"detail": "..."}``; a 422 as FastAPI's ``{"detail": [{loc, msg, type}]}``."""
    if error.status == 401:
        # The docs give this exact body; a hint on where the key goes is in WWW-Authenticate.
        return {"detail": UNAUTHORIZED}
    if error.status == 422:
        message = error.message
        if error.code in ("anyOf", "oneOf") and error.location == ("body",):
            message = ANY_OF  # jsonschema's text would repeat the whole body
        return {"detail": [{"loc": list(error.location or ("body",)), "msg": message,
                            "type": ERROR_TYPES.get(error.code or "", "value_error")}]}
    return {"detail": error.message}


def callback_error(refusal: Refusal) -> ApiError:
    """A refused ``callback_url`` as pydantic's URL errors read (``loc``, ``type``, ``msg``)."""
    code, message = {
        TOO_LONG: ("url_too_long", f"URL should have at most {MAX_URL_LENGTH} characters"),
        SCHEME: ("url_scheme", "URL scheme should be 'http' or 'https'"),
        MALFORMED: ("url_parsing", f"Input should be a valid URL, {refusal.reason}"),
    }.get(refusal.kind, ("value_error", f"Value error, {refusal.reason}"))
    return ApiError(422, message, code=code, location=("body", "callback_url"))


def refusal(exc: DomainError) -> ApiError:
    """A refusal of the shared core as Soundpiece answers it."""
    if isinstance(exc, InsufficientBalance):
        return ApiError(402, INSUFFICIENT)
    if isinstance(exc, IdempotencyConflict):
        return ApiError(409, CONFLICT)
    if isinstance(exc, CallbackRefused):
        return callback_error(exc.refusal)
    return domain_error(exc)


ERRORS = ErrorFormat(body=error_body, validation_status=422, missing_key=UNAUTHORIZED,
                     malformed_status=400, refusals=refusal)
"""FastAPI's bodies; invalid input is a 422, a body that is not JSON a 400."""
