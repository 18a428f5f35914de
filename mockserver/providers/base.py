"""What a provider declares to be served: its spec, handlers, error format, key checks and
every hook the shared machinery calls back (job finalizer, file renderer, websockets).

Every provider is a room of the same shape: ``specs/<name>.yaml``, a ``handlers`` module
building the (method, path) table, a ``model`` module with its domain rules and tables, and
an ``errors`` module with its messages and error mapping. The shared machinery never
imports a provider; the registry in ``providers/__init__`` does, and ``http.app`` wires
each declared hook to one server's services.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mockserver.core.files import Renderer
from mockserver.core.jobs.engine import Finalizer
from mockserver.core.ratelimit import Decision
from mockserver.http.errors import ErrorFormat
from mockserver.http.limits import retry_after_only
from mockserver.openapi.routing import Route

if TYPE_CHECKING:
    from mockserver.core.services import Services


@dataclass(frozen=True)
class Provider:
    """A provider's declaration, read by ``app.create_app``."""

    name: str
    """URL prefix and config section name, e.g. ``muzaic``."""
    spec: str
    """Spec file stem in ``specs/``."""
    errors: ErrorFormat
    invalid_key_message: str
    handlers: Callable[[Services], Mapping[Route, Callable[..., object]]]
    """Build the handler table for one server's services."""
    schema_sql: str = ""
    """DDL (``CREATE TABLE IF NOT EXISTS``) for the provider's own tables."""
    sensitive_headers: tuple[str, ...] = ("authorization",)
    """Headers redacted in the request journal."""
    rate_limit: tuple[int, float] | None = None
    """Documented default limit: (requests, window seconds) per key; None for no limit.
    The config's ``providers.<name>.rate_limit`` overrides it."""
    rate_limit_headers: Callable[[Decision], dict[str, str]] = retry_after_only
    """Headers the provider documents for its limits (on every response or on 429s)."""
    websockets: Callable[[Services], Mapping[str, Callable[..., object]]] | None = None
    """Websocket endpoints (Starlette ``WebSocket`` handlers) by path below the base path;
    connexion has no websockets, so the app routes them before the spec's operations."""
    finalize: Callable[[Services], Finalizer] | None = None
    """Build the job finalizer: called once per terminal task, it returns the task's
    webhook (or None). None for a provider without tasks."""
    render_file: Callable[[Services], Renderer] | None = None
    """Build the renderer of the files served under ``/_mock/files/<name>/``: a file name
    -> (bytes, media type), or None for no such file. None for a provider with no files."""
