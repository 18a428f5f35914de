"""Where a request came to: the ``scheme://host:port`` (and base URL) that absolute URLs in
answers start with, so a client is sent back to the address it used (signed file links,
result URLs, the 404's list of base URLs)."""

from __future__ import annotations

from urllib.parse import urlsplit

from connexion.lifecycle import ConnexionRequest
from starlette.requests import HTTPConnection

Connection = HTTPConnection | ConnexionRequest
"""A request or websocket, as starlette or connexion hands it over."""

WEB_SCHEME = {"ws": "http", "wss": "https"}
"""A websocket's URL scheme and the HTTP scheme of the same server."""


def origin_of(connection: Connection) -> str:
    """``http://127.0.0.1:8080``: scheme and authority the client used (``ws``/``wss``
    connections give ``http``/``https``: the server's HTTP side)."""
    parts = urlsplit(str(connection.url))
    return f"{WEB_SCHEME.get(parts.scheme, parts.scheme)}://{parts.netloc}"


def api_base(connection: Connection, suffix: str) -> str:
    """The origin + the API's base path, from a request whose path ends in ``suffix`` (the
    operation's path as requested), without a trailing slash."""
    path = connection.url.path
    path = path[: -len(suffix)] if suffix and path.endswith(suffix) else path
    return f"{origin_of(connection)}{path.rstrip('/')}"
