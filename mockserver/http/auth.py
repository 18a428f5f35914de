"""Per-provider API-key checks plugged into connexion's security layer.

connexion reads the key where the spec's security scheme says (a header, or a Bearer
token); this module decides whether that key is accepted. A handler receives the key as
``user`` and the account lookup goes through ``Accounts``. A 401 for a key sent elsewhere
(another header, no ``Bearer``) says where it goes (``mockserver.http.keys`` knows the
places).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from connexion.security import (
    AbstractSecurityHandler,
    ApiKeySecurityHandler,
    BearerSecurityHandler,
)

from mockserver.core.accounts import Accounts
from mockserver.http.errors import ApiError, with_hint
from mockserver.http.keys import KeyPlace, strip_bearer

KeyCheck = Callable[..., dict[str, Any]]


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


_accepting: weakref.WeakKeyDictionary[Callable[..., Any], dict[str, bool]] = (
    weakref.WeakKeyDictionary())


def _accepts_kwarg(func: Callable[..., Any], keyword: str) -> bool:
    """connexion's own test, answered once per function (it reads the check's signature twice
    on every request); a check is forgotten with its app."""
    known = _accepting.setdefault(func, {})
    if keyword not in known:
        known[keyword] = bool(AbstractSecurityHandler._accepts_kwarg(func, keyword))
    return known[keyword]


def security_map(check: KeyCheck) -> dict[str, type]:
    """connexion ``security_map`` whose apiKey and bearer handlers call ``check``."""

    class ApiKeyHandler(ApiKeySecurityHandler):
        _accepts_kwarg = staticmethod(_accepts_kwarg)

        def _resolve_func(self, security_scheme: dict) -> KeyCheck:
            return check

    class BearerHandler(BearerSecurityHandler):
        _accepts_kwarg = staticmethod(_accepts_kwarg)

        def _resolve_func(self, security_scheme: dict) -> KeyCheck:
            return check

    return {"apiKey": ApiKeyHandler, "bearer": BearerHandler}
