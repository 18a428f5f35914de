"""Errors in each provider's own format.

Handlers raise ``ApiError``; the shared core raises typed ``DomainError``s (answered here with
``DOMAIN_STATUS``, or by the provider's own mapping); connexion raises its problems
(validation, auth, routing). All are turned into the provider's documented error body
by the provider's ``ErrorFormat``, never into RFC 7807 problem+json.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connexion.exceptions import BadRequestProblem, ProblemException, UnsupportedMediaTypeProblem
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.types import Send

from mockserver.core.errors import (
    CallbackRefused,
    DomainError,
    FileNotFound,
    IdempotencyConflict,
    InsufficientBalance,
    LinkRefused,
)
from mockserver.http.media_types import unsupported
from mockserver.openapi.spec_index import SpecIndex

logger = logging.getLogger("mockserver.http.errors")

MESSAGE_LIMIT = 2000
"""The longest error message sent: input echoed into a message never makes it long."""


def elide(text: str, limit: int) -> str:
    """``text``, or its start and how long it was when it is longer than ``limit``."""
    if len(text) <= limit:
        return text
    note = f"… ({len(text)} characters)"
    return text[:max(0, limit - len(note))] + note


class ApiError(Exception):
    """A client-visible error: an HTTP status and a message that names the problem."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        location: tuple[str | int, ...] | None = None,
    ) -> None:
        message = elide(message, MESSAGE_LIMIT)
        super().__init__(message)
        self.status = status
        self.status_code = status  # connexion's security layer ranks errors by this name
        self.message = message
        self.code = code
        self.headers = dict(headers or {})
        self.location = location
        """Where invalid input is, e.g. ``("body", "source", "url")`` or ``("query", "id")``."""


DOMAIN_STATUS: Mapping[type[DomainError], int] = {
    InsufficientBalance: 402,
    IdempotencyConflict: 409,
    CallbackRefused: 422,
    LinkRefused: 403,
    FileNotFound: 404,
}
"""The status each refusal of the core is answered with, unless a provider says otherwise."""


def domain_error(exc: DomainError) -> ApiError:
    """The default answer to a refusal of the core: its class's status and its message."""
    status = next((DOMAIN_STATUS[kind] for kind in type(exc).__mro__ if kind in DOMAIN_STATUS),
                  500)
    return ApiError(status, str(exc))


class InputRefused(Exception):
    """Input over one of the server's limits, or not strict JSON.

    ``status`` is 413/414/431 for sizes; None means the provider's status for a body that
    is not JSON text (``ErrorFormat.malformed``).
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def api_error(self, fmt: ErrorFormat) -> ApiError:
        """The error to answer, in ``fmt``'s statuses."""
        return ApiError(self.status or fmt.malformed(), self.message)


def form_refusal(exc: MultiPartException) -> InputRefused:
    """Starlette's form parser refused a body: too big (413) or not a form (malformed)."""
    too_big = "exceeded" in exc.message or exc.message.startswith("Too many")
    return InputRefused(f"form body refused: {exc.message}", 413 if too_big else None)


class PathParameterProblem(BadRequestProblem):
    """A path parameter that breaks its schema: the resource it names cannot exist."""


class FieldProblem(BadRequestProblem):
    """A request-body field that breaks its schema; ``field`` is its path (``a.b[0]``).

    ``rule`` is the JSON Schema keyword it breaks (``required``, ``maxLength``, ...; with the
    value for ``format:uuid`` and ``type:string``) and ``place`` where the field is (``body``,
    ``query``, ``header``), so a provider can report FastAPI-style ``loc``/``type`` items.
    """

    def __init__(self, detail: str, field: str, rule: str | None = None,
                 place: str = "body") -> None:
        super().__init__(detail=detail)
        self.field = field
        self.rule = rule
        self.place = place

    @property
    def location(self) -> tuple[str | int, ...]:
        """``("body", "regions", 0, "params")`` for ``regions[0].params`` in the body."""
        parts: list[str | int] = [self.place]
        for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", self.field):
            parts.append(int(index) if index else name)
        return tuple(parts)


class MalformedBodyProblem(BadRequestProblem):
    """A request body that is not JSON text at all (bad bytes or bad syntax)."""


NO_SUCH_ENDPOINT = "no such endpoint"


def _no_hint(_request: ConnexionRequest) -> str | None:
    return None


def _as_is(_request: ConnexionRequest, error: ApiError) -> ApiError:
    return error


@dataclass(frozen=True)
class Hints:
    """Texts naming the fix for common mistakes, added after a provider's own message."""

    not_found: Callable[[ConnexionRequest], str | None] = _no_hint
    """For a 404 on a path that is not in the spec: which base URL and paths exist."""
    missing_key: Callable[[ConnexionRequest, ApiError], ApiError] = _as_is
    """For a 401 without a usable key: the error saying where the key goes, if it was sent
    somewhere else."""


def with_hint(message: str, hint: str | None) -> str:
    """``message: hint`` (the documented message stays first), or ``message`` alone."""
    return f"{message}: {hint}" if hint else message


@dataclass(frozen=True)
class ErrorFormat:
    """How one provider shapes its error bodies."""

    body: Callable[[ApiError], Any]
    """Build the JSON body for an error."""
    validation_status: int = 400
    """The status the provider documents for invalid input."""
    missing_key: str = "missing credentials"
    """The 401 message when no key was sent."""
    field_messages: Mapping[str, str] = field(default_factory=dict)
    """Messages the provider documents for an invalid body field, by field path
    (e.g. ``{"prompt": "Prompt is required ..."}``); other fields get the validator's text."""
    malformed_status: int | None = None
    """The status for a body that is not JSON text at all; None: ``validation_status``."""
    refusals: Callable[[DomainError], ApiError] = domain_error
    """How a refusal of the shared core is answered (a provider's ``errors.refusal`` gives
    its documented messages); by default ``domain_error``."""

    def malformed(self) -> int:
        """The status for a body that is not JSON text."""
        return self.validation_status if self.malformed_status is None else self.malformed_status


def error_response(fmt: ErrorFormat, error: ApiError) -> ConnexionResponse:
    """Render an ``ApiError`` as a JSON response in the provider's format."""
    return ConnexionResponse(
        status_code=error.status,
        body=json.dumps(fmt.body(error)),
        content_type="application/json",
        headers=dict(error.headers),
    )


async def send_json(send: Send, status: int, data: Any, headers: Mapping[str, str] | None = None,
                    media_type: str = "application/json") -> None:
    """Answer an ASGI request with ``data`` as JSON (for middleware outside connexion)."""
    body = json.dumps(data).encode()
    raw = [(b"content-type", media_type.encode("latin-1")),
           (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def send_error(send: Send, fmt: ErrorFormat, error: ApiError) -> None:
    """Answer an ASGI request with ``error`` in ``fmt`` (for middleware outside connexion)."""
    await send_json(send, error.status, fmt.body(error), error.headers)


_NO_USABLE_KEY = ("No authorization token provided", "Invalid authorization header")
"""connexion's 401 texts for a request without a key (or an ``Authorization`` header that is
not ``<scheme> <credentials>``)."""


def _from_problem(fmt: ErrorFormat, exc: ProblemException) -> ApiError:
    status = exc.status or 500
    message = str(exc.detail or exc.title or "error")
    if status == 400:
        status = fmt.malformed() if isinstance(exc, MalformedBodyProblem) else fmt.validation_status
    if status == 401 and exc.detail in _NO_USABLE_KEY:
        message = fmt.missing_key
    if isinstance(exc, FieldProblem) and exc.place == "body" and exc.field in fmt.field_messages:
        message = fmt.field_messages[exc.field]
    if isinstance(exc, FieldProblem):
        return ApiError(status, message, headers=exc.headers, code=exc.rule,
                        location=exc.location)
    return ApiError(status, message, headers=exc.headers)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def install_error_handlers(app: Any, fmt: ErrorFormat, index: SpecIndex,
                           hints: Hints = Hints()) -> None:
    """Register handlers on a connexion app so every error leaves in ``fmt``.

    The handlers are coroutines: none blocks, and connexion would run a plain function in its
    thread pool (a thread hop on every refused request)."""

    async def on_api_error(_request: ConnexionRequest, exc: ApiError) -> ConnexionResponse:
        return error_response(fmt, exc)

    async def on_refusal(_request: ConnexionRequest, exc: DomainError) -> ConnexionResponse:
        return error_response(fmt, fmt.refusals(exc))

    async def on_problem(request: ConnexionRequest, exc: ProblemException) -> ConnexionResponse:
        error = _from_problem(fmt, exc)
        if error.status == 401 and error.message == fmt.missing_key:
            error = hints.missing_key(request, error)
        if isinstance(exc, PathParameterProblem) and request.method.upper() not in (
                allowed := index.allowed_methods(request.url.path)):
            # GET /generate/batch: the spec's literal path has no GET; connexion tried the
            # template /generate/{task_id} and its parameter failed. The answer is 405.
            error = ApiError(405, "method not allowed for this endpoint",
                             headers={"Allow": ", ".join(allowed)})
        elif isinstance(exc, PathParameterProblem) and index.documents(
                request.method, request.url.path, 404):
            error = ApiError(404, f"not found: {exc.detail}")
        elif isinstance(exc, UnsupportedMediaTypeProblem):
            sent = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
            operation = index.operation(request.method, request.url.path)
            error = ApiError(415, unsupported(operation, sent), headers=exc.headers)
        return error_response(fmt, error)

    async def on_http(request: ConnexionRequest, exc: HTTPException) -> ConnexionResponse:
        path = request.scope.get("path", "")
        if exc.status_code == 404 and _CONTROL.search(path):
            # starlette's mounts match no path with a line break in it: that is bad input
            # (every path parameter's documented pattern refuses it), not a missing endpoint;
            # answered as a bad path parameter is (404 where the operation documents it)
            status = 404 if index.documents(request.method, path, 404) else fmt.malformed()
            return error_response(fmt, ApiError(
                status, "the path contains a control character (such as %0A)"))
        message = {404: NO_SUCH_ENDPOINT, 405: "method not allowed for this endpoint"}.get(
            exc.status_code, str(exc.detail)
        )
        if exc.status_code == 404:
            message = with_hint(message, hints.not_found(request))
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(index.allowed_methods(request.url.path))
        return error_response(fmt, ApiError(exc.status_code, message, headers=headers))

    async def on_unicode(_request: ConnexionRequest, exc: UnicodeDecodeError) -> ConnexionResponse:
        error = ApiError(fmt.malformed(), "request body is not valid UTF-8 text")
        return error_response(fmt, error)

    async def on_refused(_request: ConnexionRequest, exc: InputRefused) -> ConnexionResponse:
        return error_response(fmt, exc.api_error(fmt))

    async def on_form(_request: ConnexionRequest, exc: MultiPartException) -> ConnexionResponse:
        return error_response(fmt, form_refusal(exc).api_error(fmt))

    async def on_crash(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        logger.exception("unhandled error", exc_info=exc)
        return error_response(fmt, ApiError(500, "internal error in the mock server"))

    app.add_error_handler(ApiError, on_api_error)
    app.add_error_handler(DomainError, on_refusal)
    app.add_error_handler(ProblemException, on_problem)
    app.add_error_handler(HTTPException, on_http)
    app.add_error_handler(UnicodeDecodeError, on_unicode)
    app.add_error_handler(InputRefused, on_refused)
    app.add_error_handler(MultiPartException, on_form)
    app.add_error_handler(Exception, on_crash)
