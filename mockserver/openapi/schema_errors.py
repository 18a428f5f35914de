"""Where a JSON Schema validation error is: the one reading of an error's field path,
including the property a ``required`` error says is missing.

Plain jsonschema, no web framework: the request validators, the websocket endpoint and the
offline ``music_gen`` fake all read errors through it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jsonschema.exceptions import ValidationError


def field_path(path: Iterable[Any]) -> str:
    """``['regions', 0, 'params']`` -> ``regions[0].params``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def missing_property(error: ValidationError) -> str | None:
    """The property a ``required`` error says is missing; None for any other error (or a
    message that does not quote the name)."""
    if error.validator == "required" and "'" in error.message:
        return error.message.split("'")[1]
    return None


def error_location(error: ValidationError) -> tuple[str | int, ...]:
    """The path of the field an error is about, as keys and indexes (for ``required``: the
    missing field's)."""
    missing = missing_property(error)
    return (*error.absolute_path, *(() if missing is None else (missing,)))


def error_field(error: ValidationError) -> str:
    """``error_location`` written as a field path (``regions[0].duration``)."""
    return field_path(error_location(error))
