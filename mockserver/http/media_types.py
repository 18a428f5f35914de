"""Request bodies sent with a missing or a wrong ``Content-Type``.

- No ``Content-Type``: the body is read as the operation's media type (FastAPI, which
  Soundpiece's and Music Gen AI's error bodies come from, reads such a body as JSON).
- A ``Content-Type`` the operation does not take: 415, with a message that names the one to
  send and how (``curl -d`` sends a form ``Content-Type`` unless told otherwise).
- JSON text in a form body (``curl -d '{"prompt": ...}'``): the provider's validation status
  with the same message, instead of "prompt is required".
"""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.openapi.spec_index import SpecIndex

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def request_media_types(operation: dict[str, Any] | None) -> list[str]:
    """The media types an operation's request body may have (none without a body)."""
    body = (operation or {}).get("requestBody") or {}
    return list(body.get("content") or {})


def is_json_text(raw: bytes) -> bool:
    """Whether ``raw`` is a JSON object or array (what a form body never is)."""
    text = raw.strip()
    if text[:1] not in (b"{", b"["):
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def form_example(schema: dict[str, Any] | None) -> str:
    """``curl -d prompt=...`` for a form schema: its required fields (else its first one)."""
    schema = schema or {}
    fields = list(schema.get("required") or []) or list(schema.get("properties") or [])[:1]
    return " ".join(f"-d {name}=..." for name in fields or ["field"])


def takes_form(schema: dict[str, Any] | None, sent: str) -> str:
    """The message for a form operation that got ``sent`` (``JSON``, ``multipart/form-data``)."""
    return (f"this endpoint takes form fields (Content-Type: {FORM}), not {sent}:"
            f" send its fields form-encoded, e.g. curl {form_example(schema)}")


def takes_json(sent: str) -> str:
    """The message for a JSON operation that got the media type ``sent``."""
    note = " (curl -d sends that unless told otherwise)" if sent == FORM else ""
    return (f"this endpoint takes a JSON body (Content-Type: {JSON}), not {sent}{note}:"
            f" send it with -H 'Content-Type: {JSON}'")


def unsupported(operation: dict[str, Any] | None, sent: str) -> str:
    """Why a body of media type ``sent`` is refused by ``operation``, naming the one to send."""
    accepted = request_media_types(operation)
    if FORM in accepted and JSON not in accepted:
        schema = operation["requestBody"]["content"][FORM].get("schema")  # type: ignore[index]
        return takes_form(schema, "JSON" if sent == JSON or sent.endswith("+json") else sent)
    if JSON in accepted:
        return takes_json(sent)
    return f"this endpoint takes {' or '.join(accepted)}, not {sent}"


class DefaultContentType:
    """ASGI middleware: a request body without ``Content-Type`` gets the operation's media
    type, so that validation and the handler read it alike (connexion's validator guesses,
    its handler side does not)."""

    def __init__(self, app: ASGIApp, index: SpecIndex) -> None:
        self.app = app
        self.index = index

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _has_untyped_body(Headers(scope=scope)):
            accepted = request_media_types(self.index.operation(scope["method"], scope["path"]))
            if accepted:
                headers = [*scope["headers"], (b"content-type", accepted[0].encode("latin-1"))]
                scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


def _has_untyped_body(headers: Headers) -> bool:
    if "content-type" in headers:
        return False
    return headers.get("content-length", "0") not in ("", "0") or "transfer-encoding" in headers
