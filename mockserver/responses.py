"""Response helpers shared by providers."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response


def b64(data: bytes) -> bytes:
    """Standard base64 of ``data`` as ASCII bytes."""
    return base64.b64encode(data)


def json_with_blob(fields: Mapping[str, Any], name: str, blob_b64: bytes,
                   status: int = 200) -> Response:
    """A JSON object of ``fields`` plus one large base64 string field, serialised once.

    Audio travels inline as base64 (Muzaic's ``mp3``); splicing the cached base64 bytes into
    the body avoids re-encoding and re-escaping megabytes on every repeated request.
    """
    head = json.dumps(dict(fields), separators=(", ", ": "))
    prefix = head[:-1] + (", " if fields else "") + json.dumps(name) + ': "'
    return Response(prefix.encode() + blob_b64 + b'"}', status_code=status,
                    media_type="application/json")
