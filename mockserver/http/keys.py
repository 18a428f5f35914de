"""Reading an API key (or the admin token) off a request: the one place that knows the
forms a key is sent in.

A key travels in a header, either as a ``Bearer`` token (``Authorization: Bearer <key>``)
or as the raw key (``MuzaicAPI-Secret-Key: <key>``, where a ``Bearer`` prefix that clients
add out of habit is tolerated), and on a websocket also as ``?token=``. A ``KeyReader``
lists the places one API reads, in order; the rate limits, the admin API's token check
and Music Gen AI's websocket each read through one. ``KeyPlace`` also says where a key
goes when a request sent it somewhere else (the hint in a 401).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CREDENTIAL_HEADER = re.compile(r"authorization|api[-_]?key|secret|token", re.IGNORECASE)
"""Header names that clients put API keys in (``X-API-Key``, ``MuzaicAPI-Secret-Key``, ...)."""

NO_PARAMS: Mapping[str, str] = {}


def strip_bearer(value: str) -> str:
    """The key in a header value, without a ``Bearer`` scheme if it has one."""
    value = value.strip()
    return value[7:].strip() if value.lower().startswith("bearer ") else value


@dataclass(frozen=True)
class KeyPlace:
    """Where a key is sent: a header, as a ``Bearer`` token or as the raw key."""

    header: str
    """The header name as the spec writes it, e.g. ``MuzaicAPI-Secret-Key``."""
    bearer: bool

    def example(self) -> str:
        """``Authorization: Bearer <key>`` or ``MuzaicAPI-Secret-Key: <key>``."""
        return f"{self.header}: {'Bearer ' if self.bearer else ''}<key>"

    def read(self, headers: Mapping[str, str]) -> str | None:
        """The key in ``headers`` (lower-case names, or a case-insensitive mapping), or None
        when it is not here."""
        value = headers.get(self.header.lower(), "").strip()
        if self.bearer and not value.lower().startswith("bearer "):
            return None
        return strip_bearer(value) or None

    def misplaced(self, headers: Mapping[str, str]) -> str | None:
        """Where the key should go, when a request without a usable key has one elsewhere:
        in another credential header, or in this header without ``Bearer``; else None."""
        value = headers.get(self.header.lower())
        if value is not None:
            return self._malformed(value) if self.bearer else None
        elsewhere = [name for name in headers if CREDENTIAL_HEADER.search(name)]
        if not elsewhere:
            return None
        return (f"send the key in the {self.header} header (`{self.example()}`),"
                f" not in `{elsewhere[0]}`")

    def _malformed(self, value: str) -> str | None:
        words = value.split()
        if words and words[0].lower() == "bearer" and len(words) > 1:
            return None
        found = ("nothing after Bearer" if words and words[0].lower() == "bearer"
                 else f"the {words[0]} scheme" if len(words) > 1 else "no Bearer prefix")
        return f"the {self.header} header must be `{self.example()}`; this one has {found}"

    def challenge(self, hint: str) -> dict[str, str]:
        """A ``WWW-Authenticate`` header carrying ``hint`` (RFC 6750), for Bearer schemes."""
        if not self.bearer:
            return {}
        return {"WWW-Authenticate": f'Bearer error="invalid_request", error_description="{hint}"'}


BEARER = KeyPlace("Authorization", bearer=True)
"""``Authorization: Bearer <key>``."""


@dataclass(frozen=True)
class KeyReader:
    """The places one API reads its key, tried in order: headers, then a query parameter."""

    places: tuple[KeyPlace, ...]
    query: str | None = None
    """A query parameter that may carry the key (``token`` on a websocket), or None."""

    def read(self, headers: Mapping[str, str],
             params: Mapping[str, str] = NO_PARAMS) -> str | None:
        """The first key found, or None when the request carries none."""
        for place in self.places:
            key = place.read(headers)
            if key is not None:
                return key
        if self.query is None:
            return None
        return (params.get(self.query) or "").strip() or None


def key_places(spec: dict[str, Any]) -> tuple[KeyPlace, ...]:
    """Where the spec's security schemes put the key (header API keys and Bearer tokens)."""
    places = []
    for scheme in ((spec.get("components") or {}).get("securitySchemes") or {}).values():
        if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
            places.append(KeyPlace(scheme["name"], bearer=False))
        elif scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "bearer":
            places.append(BEARER)
    return tuple(places)
