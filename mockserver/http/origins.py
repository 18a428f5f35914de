"""Where a request came to: the ``scheme://host:port`` (and base URL) that absolute URLs in
answers start with, so a client is sent back to the address it used (signed file links,
result URLs, the 404's list of base URLs)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from connexion.lifecycle import ConnexionRequest
from starlette.requests import HTTPConnection

Connection = HTTPConnection | ConnexionRequest
"""A request or websocket, as starlette or connexion hands it over."""

WEB_SCHEME = {"ws": "http", "wss": "https"}
"""A websocket's URL scheme and the HTTP scheme of the same server."""


ORIGINS_KEPT = 256
"""Origins remembered (one per address clients use; a flood of Host headers just refills)."""

_origins: dict[tuple[Any, ...], str] = {}


def origin_of(connection: Connection) -> str:
    """``http://127.0.0.1:8080``: scheme and authority the client used (``ws``/``wss``
    connections give ``http``/``https``: the server's HTTP side)."""
    scope = connection.scope
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    # the URL's scheme and authority come from these three only (starlette's URL(scope))
    server = scope.get("server")
    seen = (scope.get("scheme", "http"), host, tuple(server) if server else None)
    origin = _origins.get(seen)
    if origin is None:
        parts = urlsplit(str(connection.url))
        origin = f"{WEB_SCHEME.get(parts.scheme, parts.scheme)}://{parts.netloc}"
        if len(_origins) >= ORIGINS_KEPT:
            _origins.clear()
        _origins[seen] = origin
    return origin


def api_base(connection: Connection, suffix: str) -> str:
    """The origin + the API's base path, from a request whose path ends in ``suffix`` (the
    operation's path as requested), without a trailing slash."""
    path = connection.url.path
    path = path[: -len(suffix)] if suffix and path.endswith(suffix) else path
    return f"{origin_of(connection)}{path.rstrip('/')}"
