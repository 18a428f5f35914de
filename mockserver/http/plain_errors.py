"""How the mock's own endpoints (the ``/_mock`` controls and file downloads) answer an
error: ``{"error": message}``; a path nobody serves gets the served base URLs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from mockserver.core.errors import DomainError
from mockserver.http.directory import Directory
from mockserver.http.errors import ApiError, ErrorFormat, domain_error
from mockserver.http.origins import origin_of

PLAIN_ERRORS = ErrorFormat(body=lambda error: {"error": error.message})
"""The ``{"error": ...}`` body as an ``ErrorFormat``: ``/_mock``'s, and for a path under no
provider."""


def error_response(status: int, message: str,
                   headers: Mapping[str, str] | None = None) -> JSONResponse:
    """``{"error": message}`` with ``status`` (and ``headers`` after the usual ones)."""
    response = JSONResponse({"error": message}, status_code=status)
    response.headers.update(headers or {})
    return response


def plain_error_handlers(directory: Directory) -> dict[Any, Any]:
    """Starlette ``exception_handlers``: an ``ApiError`` (or a core refusal, such as a bad
    file link, at its usual status) as ``{"error": ...}`` with its headers; a 404 listing
    what ``directory`` serves; other HTTP errors as their detail."""

    async def on_api_error(_request: Request, exc: Exception) -> JSONResponse:
        error = domain_error(exc) if isinstance(exc, DomainError) else exc
        assert isinstance(error, ApiError)
        return error_response(error.status, error.message, error.headers)

    async def not_served(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        if exc.status_code != 404:
            return error_response(exc.status_code, str(exc.detail))
        return JSONResponse(directory.not_served(origin_of(request), request.url.path),
                            status_code=404)

    return {ApiError: on_api_error, DomainError: on_api_error, HTTPException: not_served}
