"""Per-provider API-key checks plugged into connexion's security layer.

connexion reads the key where the spec's security scheme says (a header, or a Bearer
token); this module decides whether that key is accepted. A handler receives the key as
``user`` and the account lookup goes through ``Accounts``. ``KeyPlace`` is where a provider
reads its key, read off the spec: the rate limits read keys there, and a 401 for a key sent
elsewhere (another header, no ``Bearer``) says where it goes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connexion.security import ApiKeySecurityHandler, BearerSecurityHandler

from mockserver.core.accounts import Accounts
from mockserver.http.errors import ApiError, with_hint

KeyCheck = Callable[..., dict[str, Any]]

CREDENTIAL_HEADER = re.compile(r"authorization|api[-_]?key|secret|token", re.IGNORECASE)
"""Header names that clients put API keys in (``X-API-Key``, ``MuzaicAPI-Secret-Key``, ...)."""


def strip_bearer(value: str) -> str:
    """The key in a header value, without a ``Bearer`` scheme if it has one."""
    value = value.strip()
    return value[7:].strip() if value.lower().startswith("bearer ") else value


@dataclass(frozen=True)
class KeyPlace:
    """Where a provider reads its key: a header, as a ``Bearer`` token or as the raw key."""

    header: str
    """The header name as the spec writes it, e.g. ``MuzaicAPI-Secret-Key``."""
    bearer: bool

    def example(self) -> str:
        """``Authorization: Bearer <key>`` or ``MuzaicAPI-Secret-Key: <key>``."""
        return f"{self.header}: {'Bearer ' if self.bearer else ''}<key>"

    def read(self, headers: Mapping[str, str]) -> str | None:
        """The key in ``headers`` (lower-case names), or None when it is not here."""
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


def explain_missing_key(places: Sequence[KeyPlace], headers: Mapping[str, str],
                        error: ApiError) -> ApiError:
    """``error`` (a 401 for a missing key) saying where the key goes when the request put it
    somewhere else; the provider's message stays first."""
    for place in places:
        hint = place.misplaced(headers)
        if hint is not None:
            return ApiError(error.status, with_hint(error.message, hint), code=error.code,
                            headers={**error.headers, **place.challenge(hint)})
    return error


def key_places(spec: dict[str, Any]) -> list[KeyPlace]:
    """Where the spec's security schemes put the key (header API keys and Bearer tokens)."""
    places = []
    for scheme in ((spec.get("components") or {}).get("securitySchemes") or {}).values():
        if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
            places.append(KeyPlace(scheme["name"], bearer=False))
        elif scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "bearer":
            places.append(KeyPlace("Authorization", bearer=True))
    return places


def make_key_check(
    accounts: Accounts, provider: str, missing_message: str, invalid_message: str
) -> KeyCheck:
    """A check function: accepts a key under the key policy, else raises a 401."""

    def check(key: str, required_scopes: Any = None) -> dict[str, Any]:
        # Some providers document a raw key in Authorization; clients often add "Bearer".
        key = strip_bearer(key)
        if not key:
            raise ApiError(401, missing_message)
        if not accounts.is_known_key(provider, key):
            raise ApiError(401, invalid_message)
        return {"sub": key, "provider": provider}

    return check


def security_map(check: KeyCheck) -> dict[str, type]:
    """connexion ``security_map`` whose apiKey and bearer handlers call ``check``."""

    class ApiKeyHandler(ApiKeySecurityHandler):
        def _resolve_func(self, security_scheme: dict) -> KeyCheck:
            return check

    class BearerHandler(BearerSecurityHandler):
        def _resolve_func(self, security_scheme: dict) -> KeyCheck:
            return check

    return {"apiKey": ApiKeyHandler, "bearer": BearerHandler}
