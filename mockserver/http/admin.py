"""The mock's own controls under ``/_mock``: health, reset, the request journal, verify,
accounts, the clock, webhooks, failure rules, fault rules and the workers (``--workers``);
and the 404 for a path under no provider, which lists the served base URLs. (Signed file
downloads under ``/_mock/files`` are ``downloads.py``.)"""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mockserver.core.faults.rules import FaultRule
from mockserver.core.services import Services
from mockserver.core.settings import InputLimits
from mockserver.http.directory import Directory
from mockserver.http.errors import ApiError, InputRefused
from mockserver.http.input_guard import loads
from mockserver.http.journal import read_journal
from mockserver.http.plain_errors import plain_error_handlers
from mockserver.http.verify import verify_answer


async def _json_object(request: Request) -> dict:
    try:  # strict JSON within the default limits (the input guard has bounded its size)
        body = loads(await request.body(), InputLimits())
    except InputRefused as exc:
        raise ApiError(exc.status or 400, f"body must be a JSON object: {exc.message}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "body must be a JSON object")
    return body


def _limit(request: Request) -> int:
    try:
        return max(1, min(int(request.query_params.get("limit", "100")), 10_000))
    except ValueError:
        raise ApiError(400, "limit must be an integer") from None


def admin_app(services: Services, directory: Directory) -> Starlette:
    """A Starlette app serving ``/_mock/...``; it also answers paths no provider serves."""
    mounts = [(m.name, m.base) for m in directory.mounts]

    async def health(_request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "status": "ok",
                "seed": services.seed,
                "state": services.store.kind,
                "providers": {name: base or "/" for name, base in mounts},
                "time": services.clock.isoformat(),
            }
        )

    async def workers(_request: Request) -> JSONResponse:
        lease = services.lease
        return JSONResponse({
            "workers": services.settings.workers, "pid": os.getpid(),
            "runs_background": lease is None or lease.held,
            "lease": lease.describe() if lease is not None else None,
        })

    # reset, journal and verify first have every worker write its queued journal rows: a
    # wait of a few milliseconds, in a thread (the event loop keeps serving)
    async def reset(request: Request) -> JSONResponse:
        tables = await run_in_threadpool(services.store.reset)
        services.faults.reinstall()  # the config's fault rules outlive a reset
        services.audio_cache.clear()
        services.rate_limits.reset()
        return JSONResponse({"reset": sorted(tables)})

    async def journal(request: Request) -> JSONResponse:
        entries = await run_in_threadpool(read_journal, services.store, _limit(request),
                                          request.query_params.get("provider"))
        return JSONResponse({"entries": entries})

    async def verify(request: Request) -> JSONResponse:
        return await run_in_threadpool(verify_answer, services.store, await _json_object(request))

    async def accounts(request: Request) -> JSONResponse:
        found = services.accounts.list(request.query_params.get("provider"))
        return JSONResponse({"accounts": [
            {"provider": a.provider, "name": a.name, "balance": a.balance, "used": a.used,
             "created_at": a.created_at} for a in found]})

    async def clock(_request: Request) -> JSONResponse:
        return JSONResponse(services.clock.describe())

    async def advance(request: Request) -> JSONResponse:
        seconds = (await _json_object(request)).get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds < 1e9:
            raise ApiError(400, "seconds must be a number from 0 to 1e9")
        services.clock.advance(float(seconds))
        return JSONResponse(services.clock.describe())

    async def webhooks(request: Request) -> JSONResponse:
        deliveries = services.webhooks.list(request.query_params.get("provider"), _limit(request))
        return JSONResponse({"deliveries": [d.describe() for d in deliveries]})

    async def failures(request: Request) -> JSONResponse:
        if request.method == "GET":
            return JSONResponse({"rules": services.failures.list()})
        body = await _json_object(request)
        provider, count, match = body.get("provider"), body.get("count", 1), body.get("match", "")
        if provider not in {name for name, _ in mounts}:
            raise ApiError(400, f"provider must be one of {[n for n, _ in mounts]}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ApiError(400, "count must be a positive integer")
        if not isinstance(match, str):
            raise ApiError(400, "match must be a string")
        rule = services.failures.add(provider, count, match)
        return JSONResponse({"id": rule, "provider": provider, "count": count, "match": match},
                            status_code=201)

    async def faults(request: Request) -> JSONResponse:
        if request.method == "GET":
            return JSONResponse({"rules": services.faults.list()})
        if request.method == "DELETE":
            return JSONResponse({"deleted": services.faults.clear()})
        try:
            rule = FaultRule.from_json(await _json_object(request))
            rule.check_provider([name for name, _ in mounts])
        except ValueError as exc:
            raise ApiError(400, f"fault rule: {exc}") from None
        added = services.faults.add(rule)
        return JSONResponse(services.faults.list(added.id)[0], status_code=201)

    async def fault(request: Request) -> JSONResponse:
        rule = request.path_params["rule"]
        if not services.faults.delete(rule):
            raise ApiError(404, f"no fault rule {rule}; GET /_mock/faults lists them")
        return JSONResponse({"deleted": rule})

    return Starlette(
        routes=[
            Route("/_mock/health", health, methods=["GET"]),
            Route("/_mock/reset", reset, methods=["POST"]),
            Route("/_mock/workers", workers, methods=["GET"]),
            Route("/_mock/journal", journal, methods=["GET"]),
            Route("/_mock/verify", verify, methods=["POST"]),
            Route("/_mock/accounts", accounts, methods=["GET"]),
            Route("/_mock/clock", clock, methods=["GET"]),
            Route("/_mock/clock/advance", advance, methods=["POST"]),
            Route("/_mock/webhooks", webhooks, methods=["GET"]),
            Route("/_mock/failures", failures, methods=["GET", "POST"]),
            Route("/_mock/faults", faults, methods=["GET", "POST", "DELETE"]),
            Route("/_mock/faults/{rule:int}", fault, methods=["DELETE"]),
        ],
        exception_handlers=plain_error_handlers(directory),
    )
