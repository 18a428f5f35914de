"""Muzaic's error body and its own refusals: ``{"error": "..."}``, invalid input a 400."""

from __future__ import annotations

from mockserver.core.renders import Overloaded
from mockserver.http.errors import ApiError, ErrorFormat

ERRORS = ErrorFormat(body=lambda e: {"error": e.message}, validation_status=400,
                     missing_key="No MuzaicAPI Secret Key")
INVALID_KEY = "Invalid MuzaicAPI Secret Key"


def busy(exc: Overloaded) -> ApiError:
    """Every render slot is taken: Muzaic documents 429 for too many requests."""
    return ApiError(429, str(exc), headers=exc.headers)


def origin_refused(origin: str, why: str) -> ApiError:
    """A 403 for ``POST /soundtrack/{origin}``: the origin, its keys or its endpoints."""
    reasons = {
        "origin": f"origin {origin!r} is not configured for this API",
        "key": f"this API key is not valid for origin {origin!r}",
        "endpoint": f"endpoint /soundtrack is not allowed for origin {origin!r}",
    }
    return ApiError(403, reasons[why])
