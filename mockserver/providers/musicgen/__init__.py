"""Music Gen AI: generation tasks, multi-instrument mixes and a websocket stream
(``specs/musicgen.yaml``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from mockserver.core.ratelimit import Decision
from mockserver.http.errors import ErrorFormat
from mockserver.providers.base import Provider
from mockserver.providers.musicgen.model import AUTH_INVALID, AUTH_MISSING, RATE_LIMIT, error_body

if TYPE_CHECKING:
    from mockserver.core.services import Services


def _handlers(services: Services) -> Mapping[tuple[str, str], Callable[..., Any]]:
    # The HTTP layer loads only when a server is built: `mockserver.fakes.music_gen`
    # imports `.model` (package and all) without it.
    from mockserver.providers.musicgen.handlers import handler_table

    return handler_table(services)


def _websockets(services: Services) -> Mapping[str, Callable[..., Any]]:
    from mockserver.providers.musicgen.ws import websocket_table

    return websocket_table(services)


def rate_limit_headers(decision: Decision) -> dict[str, str]:
    """The spec's rate-limit headers, on 429 answers only (where it documents them)."""
    if decision.allowed:
        return {}
    return {"X-RateLimit-Limit": str(decision.limit),
            "X-RateLimit-Remaining": str(decision.remaining),
            "X-RateLimit-Reset": str(math.ceil(decision.reset_at)),
            "Retry-After": str(decision.retry_after)}


PROVIDER = Provider(
    name="musicgen",
    spec="musicgen",
    errors=ErrorFormat(body=error_body, validation_status=400, missing_key=AUTH_MISSING),
    invalid_key_message=AUTH_INVALID,
    handlers=_handlers,
    rate_limit=RATE_LIMIT,
    rate_limit_headers=rate_limit_headers,
    websockets=_websockets,
)
