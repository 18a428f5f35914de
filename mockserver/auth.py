"""Per-provider API-key checks plugged into connexion's security layer.

connexion reads the key where the spec's security scheme says (a header, or a Bearer
token); this module decides whether that key is accepted. A handler receives the key as
``user`` and the account lookup goes through ``Accounts``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connexion.security import ApiKeySecurityHandler, BearerSecurityHandler

from .accounts import Accounts
from .errors import ApiError

KeyCheck = Callable[..., dict[str, Any]]


def make_key_check(
    accounts: Accounts, provider: str, missing_message: str, invalid_message: str
) -> KeyCheck:
    """A check function: accepts a key under the key policy, else raises a 401."""

    def check(key: str, required_scopes: Any = None) -> dict[str, Any]:
        key = key.strip()
        if key.lower().startswith("bearer "):
            # Some providers document a raw key in Authorization; clients often add "Bearer".
            key = key[7:].strip()
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
