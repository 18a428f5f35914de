"""What never reaches a cassette: keys, webhook signatures, signed-URL parameters and tokens.

Every secret is replaced by ``MARKER``, the same text on every run, so a cassette is stable
and a replayed request is matched whatever key it sends (the incoming request is redacted
the same way before it is compared). Names come from the one home of each: credential
headers from ``http/keys.py`` and the journal, credential query parameters from
``core/keyhash.py``; this module adds signatures (``webhook-signature``, ``?signature=``,
``X-Amz-Signature``, ...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from mockserver.core.keyhash import CREDENTIAL_PARAM, redact_query
from mockserver.http.journal import SENSITIVE
from mockserver.http.keys import CREDENTIAL_HEADER

MARKER = "[redacted]"
"""What a cassette holds in place of a secret."""

SECRET_NAME = re.compile(
    CREDENTIAL_PARAM.pattern + r"|signature|^sig$|^x-(amz|goog)-(credential|security-token)$",
    re.IGNORECASE)
"""Query parameters and JSON fields that carry a secret: credentials and signatures."""
SECRET_HEADER = re.compile(CREDENTIAL_HEADER.pattern + r"|signature|cookie", re.IGNORECASE)
"""Headers that carry a secret (``Authorization``, ``X-API-Key``, ``webhook-signature``,
``Cookie``, ``Set-Cookie``, ...)."""
URL = re.compile(r"""https?://[^\s"'<>\\]+""")
"""An absolute URL in a text body (up to a quote, space or backslash)."""
JSON_FIELD = re.compile(r'"(?P<name>(?:[^"\\]|\\.)*)"(?P<colon>\s*:\s*)"(?P<value>(?:[^"\\]|\\.)*)"')
"""A JSON string member, ``"name": "value"``, in a text body."""
SHORTEST_SECRET = 8
"""A shorter value under a secret-sounding name is a flag, not a credential (Muzaic's tags
carry ``"secret": "0"``): it is kept, so the answer replays as it was."""


def _marker(_value: str) -> str:
    return MARKER


def redact_query_string(query: str) -> str:
    """A query string with every secret parameter's value replaced by the marker."""
    return redact_query(query, _marker, SECRET_NAME)


def _redact_url(match: re.Match[str]) -> str:
    url = match.group(0)
    before, question, rest = url.partition("?")
    if not question:
        return url
    query, hash_mark, fragment = rest.partition("#")
    return f"{before}?{redact_query_string(query)}{hash_mark}{fragment}"


def _redact_field(match: re.Match[str]) -> str:
    if not SECRET_NAME.search(match.group("name")) or len(match.group("value")) < SHORTEST_SECRET:
        return match.group(0)
    return f'"{match.group("name")}"{match.group("colon")}"{MARKER}"'


def redact_text(text: str) -> str:
    """A text body with secrets in its URLs' queries and in JSON string members (by name)
    replaced; every other character is kept."""
    return JSON_FIELD.sub(_redact_field, URL.sub(_redact_url, text))


def redact_data(data: Any) -> Any:
    """Parsed JSON (or form) data with secret members and URL signatures replaced."""
    if isinstance(data, dict):
        return {name: MARKER if isinstance(value, str) and len(value) >= SHORTEST_SECRET
                and SECRET_NAME.search(str(name)) else redact_data(value)
                for name, value in data.items()}
    if isinstance(data, list):
        return [redact_data(item) for item in data]
    if isinstance(data, str):
        return URL.sub(_redact_url, data)
    return data


def redact_headers(headers: Iterable[tuple[str, str]],
                   sensitive: Iterable[str] = ()) -> list[tuple[str, str]]:
    """``(name, value)`` pairs (names lower-cased) with every secret header's value
    replaced: credential and signature headers, cookies, and the ``sensitive`` names."""
    secret = SENSITIVE | {name.lower() for name in sensitive}
    kept = []
    for name, value in headers:
        name = name.lower()
        hidden = name in secret or SECRET_HEADER.search(name)
        kept.append((name, MARKER if hidden else redact_text(value)))
    return kept
