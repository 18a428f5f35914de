"""File downloads: ``GET /_mock/files/<provider>/<name>?expires=...&signature=...``, the
signed audio URLs that asynchronous providers hand out (see ``mockserver.core.files``).

The signature is the protection (no admin token); rendering a long file takes seconds, so
it runs off the event loop, within the render slots every render shares.
"""

from __future__ import annotations

import contextlib

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockserver.core.files import PREFIX
from mockserver.core.renders import Overloaded, Slot
from mockserver.core.services import Services
from mockserver.http.directory import Directory
from mockserver.http.errors import ApiError
from mockserver.http.plain_errors import plain_error_handlers

MOUNT = PREFIX.rstrip("/")
"""The path prefix the downloads app is served under (``/_mock/files``)."""


def downloads_app(services: Services, directory: Directory) -> Starlette:
    """A Starlette app serving ``/_mock/files/{provider}/{name}``."""

    async def download(request: Request) -> Response:
        def fetch(slot: Slot | None = None) -> tuple[bytes, str]:
            with services.renders.holding(slot) if slot else contextlib.nullcontext():
                return services.files.fetch(
                    request.path_params["provider"], request.path_params["name"],
                    request.query_params.get("expires"), request.query_params.get("signature"))

        # Rendering a long file takes seconds: off the event loop, so other requests go on.
        try:
            data, media_type = await run_in_threadpool(fetch)
        except Overloaded:
            # A stored file is downloaded, not refused: wait for a render slot (holding no
            # thread), as long as the config allows.
            slot = await services.renders.acquire(services.limits.render_wait_seconds)
            if slot is None:
                error = services.renders.refusal()
                raise ApiError(503, str(error), headers=error.headers) from None
            try:
                data, media_type = await run_in_threadpool(fetch, slot)
            finally:
                slot.release()  # also when the call never ran (the client left)
        return Response(data, media_type=media_type)

    return Starlette(routes=[Route(PREFIX + "{provider}/{name}", download, methods=["GET"])],
                     exception_handlers=plain_error_handlers(directory))
