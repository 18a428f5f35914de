"""The proxy's own endpoints under ``/_mock``: health, the journal (each entry with the
names of its violations), the violations, and the webhook relays the provider calls."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mockserver.http.journal import read_journal
from mockserver.proxy.upstream import DECODED, HOP_BY_HOP, passing_headers
from mockserver.proxy.violations import Seen

if TYPE_CHECKING:
    from mockserver.proxy.app import ProxyState

VIOLATIONS_HEADER = "X-Mock-Violations"
RELAY_PREFIX = "/_mock/relay/"
"""Where the provider posts webhooks: open, as the provider cannot send the admin token."""


def _limit(request: Request, default: int) -> int:
    try:
        return max(1, min(int(request.query_params.get("limit", default)), 100_000))
    except ValueError:
        return default


def proxy_admin_app(state: ProxyState) -> Starlette:
    """A Starlette app serving the proxy's ``/_mock/...``."""

    async def health(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "mode": "proxy", "provider": state.provider.name,
                             "upstream": state.upstream.url})

    async def journal(request: Request) -> JSONResponse:
        entries = read_journal(state.store, _limit(request, 100))
        names = state.violations.names_by_journal_id([e["id"] for e in entries])
        for entry in entries:
            entry["violations"] = names.get(entry["id"], [])
        return JSONResponse({"entries": entries})

    async def violations(request: Request) -> JSONResponse:
        found = state.violations.list(_limit(request, 1000))
        return JSONResponse({"count": len(found), "violations": found})

    async def relay(request: Request) -> Response:
        number = request.path_params["relay"]
        registered = state.relays.target(number)
        if registered is None:
            return JSONResponse({"error": f"no relay {number} on this proxy"}, status_code=404)
        target, operation = registered
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        findings = state.webhooks.check(headers, body)
        if findings:
            state.violations.record(findings, Seen(
                "POST", request.url.path, f"webhook of {operation}",
                state.curl(request.scope, body)))
        count = {VIOLATIONS_HEADER: str(len(findings))}
        try:
            answer = await state.upstream.client.post(
                target, headers=passing_headers(request.headers.items()), content=body)
        except httpx.TransportError as exc:
            return JSONResponse({"error": f"the app's webhook URL {target} did not answer:"
                                          f" {type(exc).__name__}"}, status_code=502,
                                headers=count)
        kept = dict(passing_headers(answer.headers.items(), HOP_BY_HOP | DECODED))
        return Response(answer.content, status_code=answer.status_code,
                        headers={**kept, **count})

    return Starlette(routes=[
        Route("/_mock/health", health, methods=["GET"]),
        Route("/_mock/journal", journal, methods=["GET"]),
        Route("/_mock/violations", violations, methods=["GET"]),
        Route("/_mock/relay/{relay:int}", relay, methods=["POST"]),
    ])
