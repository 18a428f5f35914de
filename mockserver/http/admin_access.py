"""Who may use the admin API (``/_mock``): a token off loopback, and never a web page.

- A server that listens on loopback only (127.0.0.0/8, ``::1``, ``localhost``) keeps its
  admin API open, unless a token is set. Listening anywhere else requires a token:
  ``--admin-token`` (or ``MOCKSERVER_ADMIN_TOKEN``, or ``admin_token:`` in the config), else
  one generated at start and printed in the banner. It is sent as
  ``Authorization: Bearer <token>`` or ``X-Mock-Admin-Token: <token>``.
- Whatever the address, a browser cannot drive it: a request whose ``Origin`` is not the
  server's own is refused (403); a call that changes state and carries a body must say
  ``Content-Type: application/json`` (415), so no "simple" cross-origin request (a form,
  a ``text/plain`` fetch) gets through; and on loopback a ``Host`` that is not a loopback
  name or address (nor the ``--host`` value) is refused (403), against DNS rebinding.
- ``GET /_mock/files/...`` (signed audio URLs handed to users' apps) is not guarded: its
  signature is its protection. ``/_mock/health`` needs no token (liveness probes) but
  passes the Host and Origin checks.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.core.files import PREFIX as FILES_PREFIX
from mockserver.core.settings import Settings
from mockserver.http.keys import BEARER, KeyPlace, KeyReader
from mockserver.http.plain_errors import error_response

TOKEN_HEADER = "X-Mock-Admin-Token"
TOKEN_READER = KeyReader((KeyPlace(TOKEN_HEADER, bearer=False), BEARER))
"""The admin token: ``X-Mock-Admin-Token: <token>``, else ``Authorization: Bearer <token>``."""
ADMIN_PREFIX = "/_mock"
OPEN_PATHS = frozenset({"/_mock/health"})
"""Admin paths that need no token (they still pass the Host and Origin checks)."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (a name or address, IPv6 with or without brackets) is loopback."""
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def admin_token(settings: Settings) -> str | None:
    """The token this run's admin API requires: the configured one, a random one when the
    server listens beyond loopback, else None (open)."""
    token = settings.admin_token if settings.admin_token is not None \
        else settings.config.get("admin_token")
    if token is None:
        return None if is_loopback_host(settings.host) else secrets.token_urlsafe(24)
    if not isinstance(token, str) or not token or not token.isprintable() or " " in token:
        raise ValueError("the admin token (--admin-token or admin_token: in the config) must be"
                         " a non-empty string without spaces")
    return token


def _host_name(host_header: str) -> str:
    """The name part of a ``Host`` header (``[::1]:8080`` → ``[::1]``)."""
    if host_header.startswith("["):
        return host_header.split("]", 1)[0] + "]"
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


@dataclass(frozen=True)
class AdminAccess:
    """The admin API's policy for one run."""

    token: str | None
    """Required token, or None: open (loopback only)."""
    host: str
    """The address the server listens on (``--host``)."""

    @classmethod
    def for_settings(cls, settings: Settings) -> AdminAccess:
        """The policy for ``settings`` (a token generated when one is needed and not set)."""
        return cls(admin_token(settings), settings.host)

    def refusal(self, scope: Scope) -> JSONResponse | None:
        """The answer refusing this request, or None when it may go on."""
        path: str = scope["path"]
        if not (path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")) \
                or path.startswith(FILES_PREFIX):
            return None
        headers = Headers(scope=scope)
        method = scope["method"].upper()
        return (self._foreign_host(headers) or self._foreign_origin(scope, headers)
                or (None if path in OPEN_PATHS else self._no_token(headers))
                or (None if method in SAFE_METHODS else self._not_json(headers)))

    def _foreign_host(self, headers: Headers) -> JSONResponse | None:
        host = headers.get("host")
        if host is None or not is_loopback_host(self.host):
            return None
        name = _host_name(host)
        if is_loopback_host(name) or name.lower() == self.host.lower():
            return None
        return error_response(403, f"Host {name!r} is not a loopback name: the admin API of a"
                                   f" server on {self.host} answers requests for 127.0.0.1,"
                                   f" localhost or {self.host} only (a defence against DNS"
                                   " rebinding)")

    def _foreign_origin(self, scope: Scope, headers: Headers) -> JSONResponse | None:
        origin = headers.get("origin")
        if origin is None:
            return None
        own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
        if origin.lower() == own.lower():
            return None
        return error_response(403, f"cross-origin admin calls are refused (Origin"
                                   f" {origin[:100]!r}); call the admin API from a script or"
                                   " curl, not from a web page")

    def _no_token(self, headers: Headers) -> JSONResponse | None:
        if self.token is None:
            return None
        sent = TOKEN_READER.read(headers)
        if sent is not None and hmac.compare_digest(sent.encode(), self.token.encode()):
            return None
        told = ("the admin token does not match" if sent is not None else
                "the admin API needs the admin token")
        return error_response(401, f"{told}: send `Authorization: Bearer <token>` or"
                                   f" `{TOKEN_HEADER}: <token>` (the token printed when the"
                                   " server started, or the one set with --admin-token)",
                              {"WWW-Authenticate": 'Bearer realm="mockserver admin"'})

    def _not_json(self, headers: Headers) -> JSONResponse | None:
        content_type = headers.get("content-type")
        if content_type is None:
            has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
            if not has_body:
                return None
        elif content_type.split(";", 1)[0].strip().lower() == "application/json":
            return None
        found = f"Content-Type {content_type[:100]!r}" if content_type else "no Content-Type"
        return error_response(415, f"admin calls that change state take a JSON body: send"
                                   f" `Content-Type: application/json` (this request has"
                                   f" {found})")


class AdminGuard:
    """ASGI middleware applying an ``AdminAccess`` policy in front of the admin app."""

    def __init__(self, app: ASGIApp, access: AdminAccess) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = self.access.refusal(scope) if scope["type"] == "http" else None
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)
