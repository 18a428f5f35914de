"""The whole mock as an httpx transport: every provider and ``/_mock`` with no socket at all.

The app runs on its own event loop in a background thread (started on first use or on
``with``), with its lifespan, so the job engine and the webhook sender run as they do under
uvicorn; sync and async clients hand their requests to that loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from types import TracebackType
from typing import Any

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.core.settings import Settings
from mockserver.http.app import create_app
from mockserver.http.faults import ConnectionDropped
from mockserver.testing.apps import mock_settings, provider_url
from mockserver.testing.controls import MockControls

ORIGIN = "http://mockserver.localhost"
"""The origin clients use with the transport. A ``.localhost`` name (RFC 6761) is a loopback
name, so ``/_mock`` answers it as it answers ``127.0.0.1``; no socket is ever opened for it."""
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
log = logging.getLogger("mockserver.testing")


class _Lifespan:
    """Drives an ASGI app's lifespan: startup, then shutdown."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._outbox: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Send ``lifespan.startup`` and wait for it to complete."""
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}

        async def run() -> None:
            await self.app(scope, self._inbox.get, self._outbox.put)

        self._task = asyncio.create_task(run())
        await self._inbox.put({"type": "lifespan.startup"})
        await self._expect("lifespan.startup.complete")

    async def stop(self) -> None:
        """Send ``lifespan.shutdown``, wait for it, then cancel what the app left running."""
        await self._inbox.put({"type": "lifespan.shutdown"})
        await self._expect("lifespan.shutdown.complete")
        if self._task is not None:
            await self._task
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    async def _expect(self, kind: str) -> None:
        message = await self._outbox.get()
        if message["type"] != kind:
            raise RuntimeError(f"the mock's lifespan answered {message!r}, not {kind}")


class InProcessTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """An httpx transport (sync and async) serving ``create_app(settings)`` in this process.

    Every ``with`` (a client's ``with`` enters its transport too) holds it; the last one to
    end closes it, and a client's plain ``close()`` closes it when no ``with`` holds it. So
    inside ``with transport() as mock:`` clients come and go and the mock stays up.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = create_app(settings)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lifespan: _Lifespan | None = None
        self._holders = 0
        self._closed = False
        self._controls: MockControls | None = None

    def base_url(self, provider: str) -> str:
        """``http://mockserver.localhost`` + the provider's base path."""
        return provider_url(self.app, ORIGIN, provider)

    @property
    def controls(self) -> MockControls:
        """``advance``, ``webhooks``, ``journal``, ``reset``, ``fault``, ``verify`` through this
        transport."""
        if self._controls is None:
            self._controls = MockControls(httpx.Client(transport=_Borrowed(self), base_url=ORIGIN,
                                                       timeout=60))
        return self._controls

    def start(self) -> InProcessTransport:
        """Start the event loop thread and the app's lifespan (done on first use anyway)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("this mockserver transport is closed")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=loop.run_forever, daemon=True,
                                                name="mockserver-transport")
                self._thread.start()
                self._loop = loop
                self._lifespan = lifespan = _Lifespan(self.app)
                asyncio.run_coroutine_threadsafe(lifespan.start(), loop).result(START_TIMEOUT)
        return self

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Serve one request of a sync client (waits for the app's answer)."""
        body = request.read()
        future = self._submit(self._serve(request, body))
        try:
            return future.result(_read_timeout(request))
        except TimeoutError:
            future.cancel()
            raise httpx.ReadTimeout("the mock did not answer in time", request=request) from None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Serve one request of an async client (on any event loop)."""
        body = await request.aread()
        future = self._submit(self._serve(request, body))
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), _read_timeout(request))
        except TimeoutError:
            raise httpx.ReadTimeout("the mock did not answer in time", request=request) from None

    def close(self) -> None:
        """End the mock (its lifespan, loop and state), unless a ``with`` block holds it."""
        if not self._holders:
            self._shut_down()

    async def aclose(self) -> None:
        """``close()`` for async clients."""
        if not self._holders:
            await asyncio.to_thread(self._shut_down)

    def __enter__(self) -> InProcessTransport:
        self.start()
        self._holders += 1
        return self

    def __exit__(self, exc_type: type[BaseException] | None = None,
                 exc_value: BaseException | None = None,
                 traceback: TracebackType | None = None) -> None:
        self._holders -= 1
        self.close()

    async def __aenter__(self) -> InProcessTransport:
        await asyncio.to_thread(self.start)
        self._holders += 1
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None = None,
                        exc_value: BaseException | None = None,
                        traceback: TracebackType | None = None) -> None:
        self._holders -= 1
        await self.aclose()

    def _shut_down(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            loop, lifespan = self._loop, self._lifespan
            if loop is not None and lifespan is not None:
                try:
                    asyncio.run_coroutine_threadsafe(lifespan.stop(), loop).result(STOP_TIMEOUT)
                finally:
                    loop.call_soon_threadsafe(loop.stop)
                    if self._thread is not None:
                        self._thread.join(STOP_TIMEOUT)
                    loop.close()
            self.app.services.store.close()  # type: ignore[attr-defined]

    def _submit(self, work: Coroutine[Any, Any, httpx.Response]) -> Future[httpx.Response]:
        """Schedule ``work`` on the app's loop (starting it if needed): a concurrent future."""
        if self._loop is None:
            self.start()
        assert self._loop is not None
        if self._closed:
            work.close()
            raise RuntimeError("this mockserver transport is closed")
        return asyncio.run_coroutine_threadsafe(work, self._loop)

    async def _serve(self, request: httpx.Request, body: bytes) -> httpx.Response:
        """Run the app for one request, on its loop; the answer with its whole body. An error
        the app raises is what uvicorn makes of it: a 500 before the answer started, a
        dropped connection after."""
        started = False

        async def watched(scope: Scope, receive: Receive, send: Send) -> None:
            async def watching(message: Message) -> None:
                nonlocal started
                started = started or message["type"] == "http.response.start"
                await send(message)
            await self.app(scope, receive, watching)

        inner = httpx.Request(request.method, request.url, headers=request.headers, content=body)
        try:
            answer = await httpx.ASGITransport(app=watched).handle_async_request(inner)
            content = await answer.aread()
        except ConnectionDropped as exc:  # a reset or truncation fault: what a socket shows
            raise (httpx.RemoteProtocolError if started else httpx.ReadError)(
                f"{exc} (the in-process transport's connection)", request=request) from None
        except Exception as exc:
            log.exception("the mock failed on %s %s", request.method, request.url)
            if started:
                raise httpx.RemoteProtocolError("the mock closed the connection mid-answer",
                                                request=request) from exc
            return httpx.Response(500, text="Internal Server Error", request=request)
        return httpx.Response(answer.status_code, headers=answer.headers, content=content,
                              request=request)


class _Borrowed(httpx.BaseTransport):
    """A transport's requests without its ``close()``: a client that does not own it."""

    def __init__(self, owner: InProcessTransport) -> None:
        self.owner = owner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.owner.handle_request(request)


def _read_timeout(request: httpx.Request) -> float | None:
    """The client's read timeout for ``request`` (None: wait as long as it takes)."""
    timeout: float | None = request.extensions.get("timeout", {}).get("read")
    return timeout


def transport(settings: Settings | None = None, **overrides: Any) -> InProcessTransport:
    """The whole mock as an httpx transport, sync and async, with no socket. Without
    ``settings``: state in memory and the manual clock; ``overrides`` set any ``Settings``
    field (``clock``, ``seed``, ``providers``, ``config``, ...)."""
    base = settings if settings is not None else mock_settings(state_path=":memory:")
    return InProcessTransport(mock_settings(base, **overrides))
