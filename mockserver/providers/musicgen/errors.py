"""Music Gen AI's own HTTP errors: the concurrency 429 and the overload 503.

Its messages and error envelope live in ``model`` and its ``ErrorFormat`` in the package's
declaration: the offline fake (``mockserver.fakes.music_gen``) shares them without loading
a module of the HTTP layer that only a server needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockserver.core.renders import Overloaded
from mockserver.http.errors import ApiError


class LimitError(ApiError):
    """A 429 for the concurrency limit, with ``details`` for the error body."""

    def __init__(self, message: str, headers: Mapping[str, str],
                 details: Mapping[str, Any]) -> None:
        super().__init__(429, message, code="CONCURRENCY_LIMIT_EXCEEDED", headers=headers)
        self.details = dict(details)


def overloaded(exc: Overloaded) -> ApiError:
    """Every render slot is taken: the spec's 503 ``SERVICE_OVERLOADED`` with Retry-After."""
    return ApiError(503, str(exc), code="SERVICE_OVERLOADED", headers=exc.headers)
