"""Prism's ``Prefer`` header: ask one request for a documented status, a named example or a
delay (``Prefer: code=429``, ``Prefer: example=completed``, ``Prefer: delay=200``, or several:
``Prefer: code=200, example=completed``).

This module reads the header and looks the answer up in the spec; ``http/faults.py`` sends
it. Other preferences (``return=minimal``, ``respond-async``) are left alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mockserver.core.faults.rules import delay_range
from mockserver.openapi.spec_index import SpecIndex


class PreferRefused(ValueError):
    """A ``Prefer`` header the mock cannot honour: answered with a 400 that says why."""


@dataclass(frozen=True)
class Preference:
    """What a ``Prefer`` header asks of one request."""

    code: int | None = None
    example: str | None = None
    delay_ms: int = 0


def has_prefer(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether raw ASGI headers carry a ``Prefer`` header."""
    return any(name.lower() == b"prefer" for name, _ in headers)


def read_prefer(headers: Iterable[tuple[bytes, bytes]]) -> Preference | None:
    """The mock's preferences in raw ASGI headers (None when it asks for none of them);
    ``PreferRefused`` for a value that is not one."""
    asked: dict[str, str] = {}
    for name, value in headers:
        if name.lower() != b"prefer":
            continue
        for item in value.decode("latin-1").split(","):
            key, _, said = item.partition("=")
            key, said = key.strip().lower(), said.strip().strip('"')
            if key in ("code", "example", "delay"):
                asked[key] = said
    if not asked:
        return None
    code = asked.get("code")
    if code is not None and not (code.isdigit() and 100 <= int(code) <= 599):
        raise PreferRefused(f"Prefer: code must be an HTTP status such as 429; got {code!r}")
    if "example" in asked and not asked["example"]:
        raise PreferRefused("Prefer: example must name one of the operation's examples")
    delay = 0
    if "delay" in asked:
        try:
            delay = delay_range(int(asked["delay"]), "Prefer: delay")[0]
        except ValueError:
            raise PreferRefused(f"Prefer: delay must be milliseconds from 0 to 300000;"
                                f" got {asked['delay']!r}") from None
    return Preference(code=None if code is None else int(code), example=asked.get("example"),
                      delay_ms=delay)


@dataclass(frozen=True)
class Canned:
    """An answer taken from the spec: a status, its media type and the example body."""

    status: int
    media_type: str
    body: Any


def documented_codes(operation: dict[str, Any]) -> list[int]:
    """The statuses an operation documents (``default`` and ``4XX`` ranges left out)."""
    return sorted(int(code) for code in (operation.get("responses") or {}) if str(code).isdigit())


def _json_media(response: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    for media_type, media in (response.get("content") or {}).items():
        if "json" in media_type and isinstance(media, dict):
            return media_type, media
    return None


def _named(index: SpecIndex, status: int, response: dict[str, Any]) -> dict[str, Canned]:
    found = _json_media(response)
    if found is None or not isinstance(found[1].get("examples"), dict):
        return {}
    media_type, media = found
    named = {}
    for name, example in media["examples"].items():
        resolved = index.resolve(example)
        if "value" in resolved:
            named[name] = Canned(status, media_type, resolved["value"])
    return named


def named_examples(index: SpecIndex, operation: dict[str, Any],
                   code: int | None = None) -> dict[str, Canned]:
    """The operation's named examples (of the response for ``code``, or of every response,
    the first status first)."""
    named: dict[str, Canned] = {}
    for status in documented_codes(operation):
        if code is None or status == code:
            response = index.resolve(operation["responses"][str(status)])
            named = {**_named(index, status, response), **named}
    return named


def example_for(index: SpecIndex, operation: dict[str, Any], code: int) -> Canned | None:
    """The documented example of the response for ``code`` (its ``example``, else its first
    named one); None when it has none."""
    response = index.resolve((operation.get("responses") or {}).get(str(code)) or {})
    found = _json_media(response)
    if found is None:
        return None
    media_type, media = found
    if "example" in media:
        return Canned(code, media_type, media["example"])
    named = _named(index, code, response)
    return next(iter(named.values()), None)


def canned_answer(index: SpecIndex, operation: dict[str, Any],
                  preference: Preference) -> Canned | int | None:
    """What answers a request with ``preference``: an example from the spec, a status for
    the provider's error format (an error code), or None (the handler answers).
    ``PreferRefused`` for a code the operation does not document or an unknown example."""
    codes = documented_codes(operation)
    code = preference.code
    if code is not None and code not in codes:
        raise PreferRefused(f"Prefer: code={code} is not documented for this operation;"
                            f" documented: {', '.join(map(str, codes))}")
    if preference.example is not None:
        named = named_examples(index, operation, code)
        if preference.example not in named:
            where = f"the {code} response" if code is not None else "this operation"
            listed = ", ".join(named) or "none"
            raise PreferRefused(f"Prefer: example={preference.example} is not an example of"
                                f" {where}; its examples: {listed}")
        return named[preference.example]
    if code is None:
        return None
    if 200 <= code < 300:
        return example_for(index, operation, code)
    return code
