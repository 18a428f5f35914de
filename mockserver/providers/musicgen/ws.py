"""Music Gen AI's websocket ``/ws/stream``: a generation streamed as base64 PCM chunks.

Messages are the spec's ``WsGenerate`` (client), ``WsAudioChunk``, ``WsComplete`` and
``WsError`` (server). Chunks are paced on the mock's clock (real time on the real clock,
at once on the instant clock, on ``advance`` on the manual clock) and a stream counts as a
running generation for the concurrency limit until it completes or its client leaves.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import best_match
from starlette.websockets import WebSocket, WebSocketDisconnect

from mockserver.core.jobs.submit import NewTask
from mockserver.core.services import Services
from mockserver.http.errors import ApiError, InputRefused
from mockserver.http.input_guard import loads, off_loop
from mockserver.http.keys import BEARER, KeyReader
from mockserver.http.origins import api_base
from mockserver.openapi.refs import with_components
from mockserver.openapi.schema_errors import error_location
from mockserver.openapi.specs import load_spec
from mockserver.openapi.validation import describe
from mockserver.providers.musicgen.errors import overloaded
from mockserver.providers.musicgen.handlers import Generations
from mockserver.providers.musicgen.model import (
    AUTH_INVALID,
    AUTH_MISSING,
    GENERATION_FAILED,
    MUSICGEN_SAMPLE_RATE,
    PROVIDER,
    STATUS_CODES,
    STREAM_CHUNK_SECONDS,
    STREAM_WORK_PER_AUDIO_SECOND,
    Generation,
    error_object,
    file_name,
    generation_from,
    pcm_chunks,
    validation_error,
)

logger = logging.getLogger("mockserver.musicgen.ws")

PATH = "/ws/stream"
POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013
_GONE = (WebSocketDisconnect, RuntimeError, OSError)  # sending to a client that has left


KEY_READER = KeyReader((BEARER,), query="token")
"""The API key: ``Authorization: Bearer <key>``, else ``?token=<key>``."""


class Connection:
    """One client's socket: an inbox filled by a reader task, and whether it has left."""

    def __init__(self, websocket: WebSocket, queue: int = 16) -> None:
        self.websocket = websocket
        # Bounded: while a stream runs, a client sending faster than it is answered is
        # slowed down (reading pauses) instead of filling memory.
        self.inbox: asyncio.Queue[str | bytes | None] = asyncio.Queue(maxsize=queue)
        self.gone = asyncio.Event()

    async def read(self) -> None:
        """Queue every message until the client disconnects (then queue None)."""
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                text = message.get("text")
                await self.inbox.put(text if text is not None else message.get("bytes", b""))
        finally:
            self.gone.set()
            if self.inbox.full():  # nobody is left to answer the oldest message
                self.inbox.get_nowait()
            self.inbox.put_nowait(None)

    async def send(self, payload: Mapping[str, Any]) -> bool:
        """Send one JSON message; False if the client has left."""
        if self.gone.is_set():
            return False
        try:
            await self.websocket.send_text(json.dumps(payload))
            return True
        except _GONE:
            self.gone.set()
            return False

    async def error(self, error: Mapping[str, Any]) -> bool:
        """Send a ``WsError``."""
        return await self.send({"type": "error", "error": dict(error)})


class StreamEndpoint:
    """The ``/ws/stream`` endpoint of one server."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.generations = Generations(services)
        self.sessions = 0
        """Open sessions (all in the server's event loop)."""
        self.limits = services.settings.input_limits(PROVIDER)
        spec = load_spec("musicgen")
        self.validator = Draft4Validator(with_components(
            spec, {"$ref": "#/components/schemas/WsGenerate"}))

    async def serve(self, websocket: WebSocket) -> None:
        """Accept; beyond the session limit, say so and close (1013), else run the session."""
        await websocket.accept()
        limits = self.services.limits
        if self.sessions >= limits.websocket_sessions:
            await Connection(websocket).error({
                "code": "SERVICE_OVERLOADED", "details": {"limit": limits.websocket_sessions},
                "message": f"Too many streaming sessions at once (limit"
                           f" {limits.websocket_sessions}); try again later"})
            with contextlib.suppress(*_GONE):
                await websocket.close(code=TRY_AGAIN_LATER)
            return
        self.sessions += 1
        try:
            await self.session(Connection(websocket, limits.websocket_queue))
        finally:
            self.sessions -= 1

    async def session(self, connection: Connection) -> None:
        """One accepted session: authenticate, then answer messages until the client leaves."""
        websocket = connection.websocket
        key = KEY_READER.read(websocket.headers, websocket.query_params)
        if key is None or not self.services.accounts.is_known_key(PROVIDER, key):
            code = "AUTHENTICATION_REQUIRED" if key is None else "INVALID_TOKEN"
            await connection.error({"code": code, "message": AUTH_MISSING if key is None
                                    else AUTH_INVALID, "details": {}})
            with contextlib.suppress(*_GONE):
                await websocket.close(code=POLICY_VIOLATION)
            return
        reader = asyncio.create_task(connection.read())
        try:
            while (raw := await connection.inbox.get()) is not None:
                await self.handle(connection, key, raw)
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    async def handle(self, connection: Connection, key: str, raw: str | bytes) -> None:
        """One client message: a problem is reported and the socket stays open."""
        data = raw.encode() if isinstance(raw, str) else raw
        problem, message = await off_loop(len(data), self.parse, data)
        if problem is not None:
            await connection.error(problem)
            return
        assert message is not None
        try:
            await self.stream(connection, key, message)
        except ApiError as exc:  # the concurrency limit
            await connection.error(error_object(exc))
        except Exception:  # a bug must not cost the client its socket (REST answers a 500)
            logger.exception("unhandled error in a websocket message")
            await connection.error({"code": "INTERNAL_ERROR",
                                    "message": "internal error in the mock server",
                                    "details": {}})

    def parse(self, raw: bytes) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(error object, None) for a bad message, (None, message) for a good one; messages
        are held to the same input limits as request bodies."""
        try:
            message = loads(raw, self.limits, what="Message")
        except InputRefused as exc:
            code = STATUS_CODES.get(exc.status or 400, "VALIDATION_ERROR")
            return {"code": code, "message": exc.message, "details": {}}, None
        if not isinstance(message, dict):
            return {"code": "VALIDATION_ERROR", "message": "Message must be a JSON object",
                    "details": {}}, None
        kind = message.get("type")
        if kind is None:
            return {"code": "VALIDATION_ERROR", "message": "Message type required",
                    "details": {"field": "type", "rule": "required"}}, None
        if kind != "generate":
            return {"code": "VALIDATION_ERROR", "message": f"Unknown message type: {kind!r}",
                    "details": {"field": "type", "rule": "enum"}}, None
        error = best_match(self.validator.iter_errors(message))
        if error is not None:
            return validation_error(error_location(error), str(error.validator), describe(error)), None
        return None, message

    async def stream(self, connection: Connection, key: str, message: dict[str, Any]) -> None:
        """Generate, send the chunks on the clock, then ``complete`` (or an error)."""
        clock = self.services.clock

        def task_of(seq: int) -> list[NewTask]:
            gen = generation_from(message, self.generations.default_seed(seq))
            # The stream's task ends at once: while it streams, its lease holds the slot.
            return [self.generations.task("stream", gen.to_dict(), gen.prompt, 0.0)]

        submitted = self.generations.submit(key, 1, task_of, lambda tasks: tasks[0].id,
                                            live=True)
        task = submitted.tasks[0]
        gen = Generation(**task.request)
        assert submitted.lease is not None
        with submitted.lease:
            if task.error is not None:
                await connection.error({"code": "GENERATION_FAILED",
                                        "message": GENERATION_FAILED, "details": {}})
                return
            started = clock.now()
            sent = 0
            if message.get("stream", True):
                sent = await self._send_chunks(connection, gen, started)
                if sent < 0:
                    return
            work = clock.job_seconds(gen.duration * STREAM_WORK_PER_AUDIO_SECOND)
            if not await self._until(started + work, connection):
                return
            base = api_base(connection.websocket, PATH)
            await connection.send({"type": "complete", "duration": gen.seconds, "chunks": sent,
                                   "audio_url": f"{base}/audio/{file_name(task.id)}"})

    async def _send_chunks(self, connection: Connection, gen: Generation,
                           started: float) -> int:
        """Send every chunk when the clock gets to it; the count sent, or -1 if the client
        left."""
        chunk_samples = round(STREAM_CHUNK_SECONDS * MUSICGEN_SAMPLE_RATE)
        chunks = pcm_chunks(gen, chunk_samples)
        index = 0
        while True:
            due = started + self.services.clock.job_seconds(
                index * STREAM_CHUNK_SECONDS * STREAM_WORK_PER_AUDIO_SECOND)
            if not await self._until(due, connection):
                return -1
            slot = await self.services.renders.acquire(
                self.services.limits.render_wait_seconds)
            if slot is None:  # the server stayed overloaded: the stream ends, the socket stays
                await connection.error(error_object(overloaded(self.services.renders.refusal())))
                return -1
            with slot:  # synthesis off the event loop, in a render slot like every render
                pcm = await asyncio.to_thread(next, chunks, None)
            if pcm is None:
                return index
            sent = await connection.send({
                "type": "audio_chunk", "data": base64.b64encode(pcm).decode("ascii"),
                "timestamp": round(self.services.clock.now(), 3), "chunk_index": index,
                "sample_rate": MUSICGEN_SAMPLE_RATE, "encoding": "pcm_s16le"})
            if not sent:
                return -1
            index += 1

    async def _until(self, moment: float, connection: Connection) -> bool:
        """Wait for the clock to reach ``moment``; False if the client leaves first."""
        if connection.gone.is_set():
            return False
        if self.services.clock.wall_seconds_until(moment) == 0.0:
            return True
        reached = asyncio.ensure_future(self.services.clock.wait_until(moment))
        gone = asyncio.ensure_future(connection.gone.wait())
        await asyncio.wait({reached, gone}, return_when=asyncio.FIRST_COMPLETED)
        for waiter in (reached, gone):
            waiter.cancel()
        return reached.done() and not reached.cancelled() and not connection.gone.is_set()


def websocket_table(services: Services) -> Mapping[str, Callable[..., Any]]:
    """Websocket endpoints by path below the base path."""
    return {PATH: StreamEndpoint(services).serve}
