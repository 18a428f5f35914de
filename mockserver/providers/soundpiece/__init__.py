"""Soundpiece: asynchronous operations, PUT to submit and GET to poll
(``specs/soundpiece.yaml``)."""

from typing import Any

from mockserver.http.errors import ApiError, ErrorFormat
from mockserver.providers.base import Provider
from mockserver.providers.soundpiece.handlers import handler_table
from mockserver.providers.soundpiece.model import UNAUTHORIZED

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
    # refused callback URLs (handlers.callback_error): already pydantic's names
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


PROVIDER = Provider(
    name="soundpiece",
    spec="soundpiece",
    errors=ErrorFormat(body=error_body, validation_status=422, missing_key=UNAUTHORIZED,
                       malformed_status=400),
    invalid_key_message=UNAUTHORIZED,
    handlers=handler_table,
)
