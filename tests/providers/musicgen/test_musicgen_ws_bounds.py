"""Websocket sessions are bounded (``memory.websocket_sessions``): one more is told so
(``SERVICE_OVERLOADED``) and closed with 1013; a freed place is open again."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import websockets
from musicgen_helpers import connect, eventually, server, ws_json

from live import LiveServer


async def _bad_message_answer(live: LiveServer, key: str) -> dict[str, Any] | None:
    """The answer to a bad message on a new session, or None when the session is refused."""
    try:
        async with connect(live, key) as ws:
            await ws.send("not json")
            answer = await ws_json(ws)
    except websockets.ConnectionClosed:
        return None
    return None if answer["error"]["code"] == "SERVICE_OVERLOADED" else answer


def test_sessions_beyond_the_limit_are_refused_with_1013(tmp_path: Path) -> None:
    async def scenario(live: LiveServer) -> tuple[dict[str, Any], int | None]:
        async with connect(live, "first") as first:
            await first.send("not json")  # answered: the session is open and counted
            assert (await ws_json(first))["error"]["code"] == "VALIDATION_ERROR"
            async with connect(live, "second") as second:
                refused = await ws_json(second)
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await second.recv()
        return refused, closed.value.rcvd.code if closed.value.rcvd else None

    with server(tmp_path, config={"memory": {"websocket_sessions": 1}}) as live:
        refused, code = asyncio.run(scenario(live))
        # The server learns that the first client left asynchronously: its place frees then.
        answer = eventually(lambda: asyncio.run(_bad_message_answer(live, "third")))
    assert refused["type"] == "error" and refused["error"]["code"] == "SERVICE_OVERLOADED"
    assert code == 1013
    assert answer["error"]["code"] == "VALIDATION_ERROR"
