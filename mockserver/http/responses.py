"""Response helpers shared by providers."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send


def b64(data: bytes) -> bytes:
    """Standard base64 of ``data`` as ASCII bytes."""
    return base64.b64encode(data)


class PartsResponse(Response):
    """A response whose body is sent as consecutive parts, never joined in memory."""

    def __init__(self, parts: Sequence[bytes], status_code: int = 200,
                 media_type: str | None = None) -> None:
        self.parts = list(parts)
        super().__init__(b"", status_code=status_code, media_type=media_type)
        self.headers["content-length"] = str(sum(len(part) for part in self.parts))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})
        if scope.get("method") == "HEAD":
            await send({"type": "http.response.body", "body": b""})
            return
        for index, part in enumerate(self.parts):
            await send({"type": "http.response.body", "body": part,
                        "more_body": index < len(self.parts) - 1})


def json_with_blob(fields: Mapping[str, Any], name: str, blob_b64: bytes,
                   status: int = 200) -> Response:
    """A JSON object of ``fields`` plus one large base64 string field, serialised once.

    Audio travels inline as base64 (Muzaic's ``mp3``); sending the cached base64 bytes as
    they are, between the JSON around them, avoids re-encoding, re-escaping and copying
    megabytes on every request.
    """
    head = json.dumps(dict(fields), separators=(", ", ": "))
    prefix = head[:-1] + (", " if fields else "") + json.dumps(name) + ': "'
    return PartsResponse([prefix.encode(), blob_b64, b'"}'], status_code=status,
                         media_type="application/json")
