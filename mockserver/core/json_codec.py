"""The one JSON codec for what the server encodes and decodes itself: orjson (the fastest on
PyPI, 5-10x the standard library), with the standard library behind it for the few values
orjson refuses (integers beyond 64 bits, lone surrogates), so every value that encoded or
decoded before still does, to the same data."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def dumps(data: Any, cls: type[json.JSONEncoder] | None = None, **kwargs: Any) -> str:
    """``data`` as compact JSON text. ``cls`` (an encoder class, as connexion's Jsonifier
    passes it) encodes the types orjson does not know; other ``json.dumps`` options send the
    value to the standard library."""
    if not kwargs:
        default = cls().default if cls is not None else None
        try:
            return orjson.dumps(data, default=default, option=_OPTIONS).decode()
        except TypeError:
            pass
    return json.dumps(data, cls=cls, **kwargs)


def dumpb(data: Any) -> bytes:
    """``data`` as compact JSON bytes (UTF-8)."""
    try:
        return orjson.dumps(data, option=_OPTIONS)
    except TypeError:
        return json.dumps(data).encode()


_LONG_NUMBER = re.compile(r"\d{20}")
"""Twenty digits in a row: maybe an integer beyond 64 bits, which orjson reads as a float."""


def loads(text: str | bytes) -> Any:
    """Parse JSON text (a ``ValueError`` for text that is not JSON); integers of any size
    stay integers."""
    probe = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    if _LONG_NUMBER.search(probe):
        return json.loads(text)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
