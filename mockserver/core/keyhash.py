"""API keys kept out of what the server stores: salted digests, short display labels, and
redaction of keys in query strings.

A state file never holds a key in clear: accounts, tasks and idempotency records name
their key by its digest, and the journal and ``/_mock/accounts`` show a label such as
``ver…[3f9a0c12]`` (at most three leading characters, never more than a quarter of the key,
and eight hex digits of the digest, so a label matches its account's).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from urllib.parse import quote, unquote_plus

SALT_META = "key_salt"
"""The ``meta`` row holding the state file's salt (hex); it survives ``/_mock/reset``."""

CREDENTIAL_PARAM = re.compile(
    r"^(key|password|passwd|pwd)$|authorization|api[-_]?key|access[-_]?key|secret|token"
    r"|credential", re.IGNORECASE)
"""Query parameter names that carry keys (``?token=``, ``?api_key=``, ``?key=``, ...)."""


DIGESTS_KEPT = 1024
"""Digests remembered per hasher (all forgotten at once when full)."""
DIGEST_KEY_CHARS = 256
"""Keys longer than this are hashed every time, never remembered."""


class KeyHasher:
    """Digests and labels of API keys under one state file's random salt.

    The digest is HMAC-SHA256 keyed by the salt. A fast keyed hash is right here, not bcrypt
    or argon2: an account is looked up by its key on every request, and a deliberately slow
    hash (tens of milliseconds by design) would cost that on each call; and what clients send
    are machine-made tokens (often a real provider key pointed at the mock by mistake), not
    low-entropy passwords that key stretching exists to protect. The per-file salt keeps a
    digest from being matched against a table computed once for every state file.
    """

    def __init__(self, salt: bytes) -> None:
        self._salt = salt
        self._digests: dict[str, str] = {}

    @classmethod
    def new(cls) -> KeyHasher:
        """A hasher with a fresh random salt."""
        return cls(secrets.token_bytes(32))

    @property
    def salt_hex(self) -> str:
        """The salt as stored in the ``meta`` table."""
        return self._salt.hex()

    def digest(self, key: str) -> str:
        """What the state file stores for ``key`` (64 hex digits)."""
        known = self._digests.get(key)
        if known is not None:
            return known
        digest = hmac.new(self._salt, key.encode("utf-8", "surrogatepass"),
                          hashlib.sha256).hexdigest()
        # the same few keys come on every request; a long key or a flood of distinct ones
        # is not kept (memory stays bounded, see DIGESTS_KEPT)
        if len(key) <= DIGEST_KEY_CHARS:
            if len(self._digests) >= DIGESTS_KEPT:
                self._digests.clear()
            self._digests[key] = digest
        return digest

    def label(self, key: str) -> str:
        """A short redacted form of ``key`` for display: a few leading characters (none for
        a short key) and a fingerprint of its digest."""
        shown = key[:min(3, len(key) // 4)]
        return f"{shown}…[{self.digest(key)[:8]}]"

    def label_credential(self, value: str) -> str:
        """A header value with its key labelled; an auth scheme (``Bearer``) stays readable."""
        scheme, space, rest = value.strip().partition(" ")
        if space and rest.strip() and scheme.isalpha():
            return f"{scheme} {self.label(rest.strip())}"
        return self.label(value)


def redact_query(query: str, label: Callable[[str], str],
                 names: re.Pattern[str] = CREDENTIAL_PARAM) -> str:
    """``query`` with the value of every credential parameter (a name ``names`` finds)
    replaced by ``label(value)``; the rest is kept byte for byte."""
    if not query:
        return query
    parts = []
    for part in query.split("&"):
        name, eq, value = part.partition("=")
        if eq and value and names.search(unquote_plus(name)):
            shown = label(unquote_plus(value))
            part = name + "=" + "".join(c if c == "…" else quote(c, safe="[]") for c in shown)
        parts.append(part)
    return "&".join(parts)


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with a marker saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[cut: {len(text)} characters]"
