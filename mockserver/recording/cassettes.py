"""The cassette format: one readable YAML file per exchange, binary bodies beside it.

Layout: ``DIR/<provider>/<job or _>/<seq>-<method>-<slug>.yaml`` (``_none`` for a request no
provider serves), e.g. ``musicgpt/5f2c…/0003-get-v1-byid.yaml``; a binary body (audio,
bytes that are not UTF-8) is the file ``<same stem>.request.bin`` or ``.response.<ext>``
next to it. A file holds::

    seq: 3                 # order of arrival in the recording
    provider: musicgpt
    job: 5f2c...           # the job it belongs to (see jobs.py), or null
    offset: 60.0           # seconds since recording started, on the recorder's clock
    route: /v1/byId        # the spec path it matched, or null
    request: {method, path (below the provider's base), query, headers, body}
    response: {status, headers, body}

A request body is ``{json: ...}``, ``{form: {...}}``, ``{text: ...}`` or ``{file: ...}``; a
response body is ``{text: ...}`` (the exact text) or ``{file: ...}``. Secrets are redacted
(``redaction.py``); absolute URLs on the recording origin are stored with ``ORIGIN`` (or
``BASE``, the origin and the provider's base path) in place of it, put back at replay.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mockserver.core.patterns import parse_body
from mockserver.recording.redaction import redact_data, redact_text

ORIGIN = "{mockserver:origin}"
"""Stands for the recording origin (``http://host:port``) in stored text."""
BASE = "{mockserver:base}"
"""Stands for the recording origin + the provider's base path in stored text."""
BINARY_MEDIA = ("audio/", "image/", "video/", "application/octet-stream")
"""Content types whose bodies are stored as files, whatever their bytes."""
UNMATCHED_FIELDS = frozenset({"idempotency_key", "idempotencykey"})
"""Body members a replayed request is not matched on (names compared in lower case): an
app makes a new idempotency key for every request, so a recorded one never comes again."""
NO_PROVIDER = "_none"
NO_JOB = "_"


@dataclass(frozen=True)
class Body:
    """A stored body: how it is written (``json``, ``form``, ``text``, ``file``) and its
    value; ``data`` is a file body's bytes (or the exact bytes of a response text)."""

    kind: str
    value: Any
    data: bytes = b""

    def as_yaml(self, file_name: str | None = None) -> dict[str, Any]:
        """The body as written in the YAML file (a file body by ``file_name``)."""
        return {"file": file_name} if self.kind == "file" else {self.kind: self.value}

    def normalised(self) -> str:
        """The body as a replayed request is matched: JSON with sorted keys (forms too),
        the text, or a file's digest."""
        if self.kind in ("json", "form"):
            return json.dumps(matched_fields(self.value), sort_keys=True)
        if self.kind == "text":
            return str(self.value)
        return "sha256:" + hashlib.sha256(self.data).hexdigest() if self.data else ""


NO_BODY = Body("text", "")


def matched_fields(value: Any) -> Any:
    """A JSON or form body without the members replay does not match on."""
    if not isinstance(value, dict):
        return value
    return {name: member for name, member in value.items()
            if name.lower() not in UNMATCHED_FIELDS}


def is_binary(content_type: str, raw: bytes) -> bool:
    """Whether a body is stored as a file: binary media, or bytes that are not UTF-8."""
    if content_type.lower().startswith(BINARY_MEDIA):
        return True
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def request_body(content_type: str, raw: bytes, stored: Callable[[str], str]) -> Body:
    """A request body as stored (and as matched), secrets redacted and the origin replaced
    by ``stored``: parsed JSON or form fields when it is one, else text, else bytes."""
    if not raw:
        return NO_BODY
    if is_binary(content_type, raw):
        return Body("file", None, raw)
    parsed = parse_body(content_type, raw)
    if parsed is None:
        return Body("text", stored(redact_text(raw.decode("utf-8"))))
    form = content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded"
    # the placeholders need no JSON escaping: replacing them in the JSON text is exact
    data = json.loads(stored(json.dumps(redact_data(parsed))))
    return Body("form" if form else "json", data)


def response_body(content_type: str, raw: bytes, stored: Callable[[str], str]) -> Body:
    """A response body as stored: its text (redacted, origin replaced by ``stored``) or bytes."""
    if not raw:
        return NO_BODY
    if is_binary(content_type, raw):
        return Body("file", None, raw)
    return Body("text", stored(redact_text(raw.decode("utf-8"))))


def placeholders(origin: str, base: str) -> Callable[[str], str]:
    """Text -> text with ``origin + base`` written ``BASE`` and ``origin`` written ``ORIGIN``.
    A provider served at the root (``base`` empty: ``serve --provider``, the proxy) owns
    every path there but the mock's own ``/_mock/``, so those URLs are written ``BASE``
    too: a replaying server that serves it under a prefix puts the prefix back."""
    at_root = re.compile(re.escape(origin) + r"(?=/(?!_mock/))")

    def stored(text: str) -> str:
        text = text.replace(origin + base, BASE) if base else at_root.sub(BASE, text)
        return text.replace(origin, ORIGIN)
    return stored


def substituted(text: str, origin: str, base: str) -> str:
    """Stored text with the placeholders replaced by this server's origin and base path."""
    return text.replace(BASE, origin + base).replace(ORIGIN, origin)


def base_of(path: str, local_path: str) -> str:
    """The provider's base path of a request: ``path`` without its ``local_path`` end."""
    if local_path == "/":
        return path.rstrip("/")
    if local_path == path or not path.endswith(local_path):
        return ""
    return path[: len(path) - len(local_path)]


@dataclass
class Exchange:
    """One recorded request and its answer."""

    seq: int
    provider: str | None
    job: str | None
    offset: float
    route: str | None
    method: str
    path: str
    """Below the provider's base (the spec's path form)."""
    query: str
    request_headers: list[tuple[str, str]]
    request_body: Body
    status: int
    response_headers: list[tuple[str, str]]
    response_body: Body
    file: str = ""
    """The YAML file's path relative to the cassette directory."""

    def stem(self) -> str:
        """``0003-get-v1-byid``: sequence, method and a slug of the path."""
        slug = re.sub(r"[^a-z0-9]+", "-", self.path.lower()).strip("-")[:48] or "root"
        return f"{self.seq:04d}-{self.method.lower()}-{slug}"

    def folder(self) -> Path:
        """``<provider>/<job or _>``."""
        job = re.sub(r"[^A-Za-z0-9._-]", "_", self.job)[:80] if self.job else NO_JOB
        return Path(self.provider or NO_PROVIDER) / job


def _header_list(pairs: list[tuple[str, str]]) -> list[list[str]]:
    return [[name, value] for name, value in pairs]


def _binary_name(stem: str, side: str, headers: list[tuple[str, str]]) -> str:
    media = next((v for n, v in headers if n == "content-type"), "").split(";")[0].strip()
    extension = mimetypes.guess_extension(media) or (
        "." + media[len("audio/"):] if media.startswith("audio/") else ".bin")
    return f"{stem}.{side}{extension}"


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".part")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def write(directory: Path, exchange: Exchange) -> Path:
    """Write ``exchange`` under ``directory`` (binary bodies first, the YAML file last, each
    complete or absent); returns the YAML file's path."""
    folder = directory / exchange.folder()
    folder.mkdir(parents=True, exist_ok=True)
    stem = exchange.stem()
    bodies: dict[str, dict[str, Any]] = {}
    for side, body, headers in (("request", exchange.request_body, exchange.request_headers),
                                ("response", exchange.response_body, exchange.response_headers)):
        name = None
        if body.kind == "file":
            name = _binary_name(stem, side, headers)
            _write_atomically(folder / name, body.data)
        bodies[side] = body.as_yaml(name)
    document = {
        "seq": exchange.seq, "provider": exchange.provider, "job": exchange.job,
        "offset": round(exchange.offset, 6), "route": exchange.route,
        "request": {"method": exchange.method, "path": exchange.path, "query": exchange.query,
                    "headers": _header_list(exchange.request_headers),
                    "body": bodies["request"]},
        "response": {"status": exchange.status,
                     "headers": _header_list(exchange.response_headers),
                     "body": bodies["response"]},
    }
    path = folder / f"{stem}.yaml"
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    _write_atomically(path, text.encode("utf-8"))
    return path


def _read_body(stored: Any, folder: Path) -> Body:
    if not stored:
        return NO_BODY
    (kind, value), = stored.items()
    if kind == "file":
        return Body("file", None, (folder / value).read_bytes())
    return Body(kind, value)


def _pairs(stored: Any) -> list[tuple[str, str]]:
    return [(str(name), str(value)) for name, value in stored or []]


def read(directory: Path, path: Path) -> Exchange:
    """The exchange in the YAML file ``path`` (with its binary bodies)."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict) or "request" not in document:
        raise ValueError(f"{path}: not a cassette (no request)")
    request, response = document["request"], document["response"]
    return Exchange(
        seq=int(document["seq"]), provider=document.get("provider"), job=document.get("job"),
        offset=float(document.get("offset") or 0), route=document.get("route"),
        method=str(request["method"]).upper(), path=str(request["path"]),
        query=str(request.get("query") or ""), request_headers=_pairs(request.get("headers")),
        request_body=_read_body(request.get("body"), path.parent),
        status=int(response["status"]), response_headers=_pairs(response.get("headers")),
        response_body=_read_body(response.get("body"), path.parent),
        file=str(path.relative_to(directory)),
    )


def load(directory: str | Path) -> list[Exchange]:
    """Every exchange recorded under ``directory``, in recorded order; ValueError when the
    directory does not exist or a file is not a cassette."""
    root = Path(directory)
    if not root.is_dir():
        raise ValueError(f"replay: {directory} is not a directory of cassettes")
    return sorted((read(root, path) for path in root.rglob("*.yaml")), key=lambda e: e.seq)
