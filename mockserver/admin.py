"""The mock's own controls under ``/_mock``: health, reset and the request journal."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .journal import read_journal
from .services import Services


def admin_app(services: Services, mounts: Sequence[tuple[str, str]]) -> Starlette:
    """A Starlette app serving ``/_mock/...``; ``mounts`` is (provider, base path) pairs."""

    async def health(_request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "status": "ok",
                "seed": services.seed,
                "state": "memory" if services.store.path == ":memory:" else "file",
                "providers": {name: base or "/" for name, base in mounts},
                "time": services.clock.isoformat(),
            }
        )

    async def reset(request: Request) -> JSONResponse:
        tables = services.store.tables()
        with services.store.transaction() as conn:
            for table in tables:
                conn.execute(f'DELETE FROM "{table}"')
            if "sqlite_sequence" in {r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table'"
            )}:
                conn.execute("DELETE FROM sqlite_sequence")
        services.audio_cache.clear()
        return JSONResponse({"reset": sorted(tables)})

    async def journal(request: Request) -> JSONResponse:
        try:
            limit = max(1, min(int(request.query_params.get("limit", "100")), 10_000))
        except ValueError:
            return JSONResponse({"error": "limit must be an integer"}, status_code=400)
        entries = read_journal(services.store, limit, request.query_params.get("provider"))
        return JSONResponse({"entries": entries})

    return Starlette(
        routes=[
            Route("/_mock/health", health, methods=["GET"]),
            Route("/_mock/reset", reset, methods=["POST"]),
            Route("/_mock/journal", journal, methods=["GET"]),
        ]
    )
