"""Errors in each provider's own format.

Handlers and shared machinery raise ``ApiError``; connexion raises its problems
(validation, auth, routing). Both are turned into the provider's documented error body
by the provider's ``ErrorFormat``, never into RFC 7807 problem+json.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from connexion.exceptions import BadRequestProblem, ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

logger = logging.getLogger("mockserver.errors")


class ApiError(Exception):
    """A client-visible error: an HTTP status and a message that names the problem."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.status_code = status  # connexion's security layer ranks errors by this name
        self.message = message
        self.code = code
        self.headers = dict(headers or {})


class PathParameterProblem(BadRequestProblem):
    """A path parameter that breaks its schema: the resource it names cannot exist."""


_HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


class SpecIndex:
    """What the spec documents, for choosing statuses and ``Allow`` headers on errors."""

    def __init__(self, spec: dict[str, Any], base_path: str) -> None:
        self._paths: list[tuple[re.Pattern[str], dict[str, set[str]]]] = []
        for path, item in spec.get("paths", {}).items():
            statuses = {m.upper(): set(item[m].get("responses", {}))
                        for m in _HTTP_METHODS if m in item}
            pattern = re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(base_path + path))
            self._paths.append((re.compile(f"^{pattern}$"), statuses))
        # A literal segment beats a template: "/generate/batch" before "/generate/{task_id}".
        self._paths.sort(key=lambda entry: entry[0].pattern.count("[^/]+"))

    def _match(self, path: str) -> dict[str, set[str]]:
        for pattern, statuses in self._paths:
            if pattern.match(path):
                return statuses
        return {}

    def documents(self, method: str, path: str, status: int) -> bool:
        """Whether the operation at (method, request path) lists ``status``."""
        return str(status) in self._match(path).get(method.upper(), set())

    def allowed_methods(self, path: str) -> list[str]:
        """Methods the spec defines for the path template that matches ``path``."""
        return list(self._match(path))


@dataclass(frozen=True)
class ErrorFormat:
    """How one provider shapes its error bodies."""

    body: Callable[[ApiError], Any]
    """Build the JSON body for an error."""
    validation_status: int = 400
    """The status the provider documents for invalid input."""
    missing_key: str = "missing credentials"
    """The 401 message when no key was sent."""


def error_response(fmt: ErrorFormat, error: ApiError) -> ConnexionResponse:
    """Render an ``ApiError`` as a JSON response in the provider's format."""
    return ConnexionResponse(
        status_code=error.status,
        body=json.dumps(fmt.body(error)),
        content_type="application/json",
        headers=dict(error.headers),
    )


def _from_problem(fmt: ErrorFormat, exc: ProblemException) -> ApiError:
    status = exc.status or 500
    message = str(exc.detail or exc.title or "error")
    if status == 400:
        status = fmt.validation_status
    if status == 401 and exc.detail == "No authorization token provided":
        message = fmt.missing_key
    return ApiError(status, message, headers=exc.headers)


def install_error_handlers(app: Any, fmt: ErrorFormat, index: SpecIndex) -> None:
    """Register handlers on a connexion app so every error leaves in ``fmt``."""

    def on_api_error(_request: ConnexionRequest, exc: ApiError) -> ConnexionResponse:
        return error_response(fmt, exc)

    def on_problem(request: ConnexionRequest, exc: ProblemException) -> ConnexionResponse:
        error = _from_problem(fmt, exc)
        if isinstance(exc, PathParameterProblem) and index.documents(
                request.method, request.url.path, 404):
            error = ApiError(404, f"not found: {exc.detail}")
        return error_response(fmt, error)

    def on_http(request: ConnexionRequest, exc: HTTPException) -> ConnexionResponse:
        message = {404: "no such endpoint", 405: "method not allowed for this endpoint"}.get(
            exc.status_code, str(exc.detail)
        )
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(index.allowed_methods(request.url.path))
        return error_response(fmt, ApiError(exc.status_code, message, headers=headers))

    def on_unicode(_request: ConnexionRequest, exc: UnicodeDecodeError) -> ConnexionResponse:
        error = ApiError(fmt.validation_status, "request body is not valid UTF-8 text")
        return error_response(fmt, error)

    def on_crash(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        logger.exception("unhandled error", exc_info=exc)
        return error_response(fmt, ApiError(500, "internal error in the mock server"))

    app.add_error_handler(ApiError, on_api_error)
    app.add_error_handler(ProblemException, on_problem)
    app.add_error_handler(HTTPException, on_http)
    app.add_error_handler(UnicodeDecodeError, on_unicode)
    app.add_error_handler(Exception, on_crash)
