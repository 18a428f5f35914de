"""A small broken upstream: a Starlette app that forwards to the bundled mock and breaks
its answers (and its webhooks) as a test asks."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import httpx
import numpy as np
import soundfile
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Break = Callable[[str, str, int, bytes], tuple[int, bytes]]
"""(method, path, status, body) of the mock's answer -> the (status, body) sent instead."""


def unchanged(method: str, path: str, status: int, body: bytes) -> tuple[int, bytes]:
    """No break."""
    return status, body


def json_break(change: Callable[[str, str, Any], Any]) -> Break:
    """A break of JSON answers: ``change(method, path, data)`` edits ``data`` in place."""
    def apply(method: str, path: str, status: int, body: bytes) -> tuple[int, bytes]:
        try:
            data = json.loads(body)
        except ValueError:
            return status, body
        change(method, path, data)
        return status, json.dumps(data).encode()
    return apply


def silence(seconds: float) -> bytes:
    """A WAV file of ``seconds`` of silence."""
    out = io.BytesIO()
    soundfile.write(out, np.zeros(int(44100 * seconds), dtype="float32"), 44100, format="WAV")
    return out.getvalue()


def broken_upstream(mock_origin: str, answer: Break = unchanged,
                    webhook: Callable[[Any], Any] | None = None,
                    hook_field: str = "webhook_url") -> Starlette:
    """Forward everything to ``mock_origin`` and pass each answer through ``answer``; with
    ``webhook``, the submit's ``hook_field`` (a form field) points at ``/tamper`` here,
    which edits the webhook body with ``webhook`` and POSTs it on to the original URL."""
    client = httpx.AsyncClient(timeout=60, trust_env=False)

    async def forward(request: Request) -> Response:
        body = await request.body()
        headers = [(k, v) for k, v in request.headers.items() if k != "content-length"]
        if webhook is not None and request.method == "POST":
            form = dict(parse_qsl(body.decode(), keep_blank_values=True))
            if hook_field in form:
                here = f"{request.url.scheme}://{request.url.netloc}"
                form[hook_field] = f"{here}/tamper?to={quote(form[hook_field], safe='')}"
                body = urlencode(form).encode()
        upstream = await client.request(
            request.method, mock_origin + request.url.path, params=request.url.query or None,
            headers=headers, content=body)
        status, content = answer(request.method, request.url.path, upstream.status_code,
                                 upstream.content)
        kept = {k: v for k, v in upstream.headers.items()
                if k not in ("content-length", "content-encoding", "transfer-encoding")}
        return Response(content, status_code=status, headers=kept)

    async def tamper(request: Request) -> Response:
        assert webhook is not None
        payload = webhook(json.loads(await request.body()))
        headers = {"content-type": "application/json"}
        sent = await client.post(request.query_params["to"], content=json.dumps(payload),
                                 headers=headers)
        return Response(sent.content, status_code=sent.status_code)

    return Starlette(routes=[
        Route("/tamper", tamper, methods=["POST"]),
        Route("/{path:path}", forward, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
    ])
