"""Forwarding to the upstream provider: one shared HTTP client, the headers that pass, and
where a path below the proxy's base goes upstream."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "trailers", "transfer-encoding", "upgrade", "host", "content-length",
})
"""Headers that describe one connection (RFC 9110 7.6.1), the Host and the length (httpx
sets both for the upstream connection): never forwarded."""
DECODED = frozenset({"content-encoding"})
"""Response headers dropped on the way back: httpx hands over the body decoded."""
UPSTREAM_PREFIX = "/_upstream"
"""Where the proxy serves an upstream URL outside the provider's base path (the bundled
mock's signed files at ``/_mock/files/...``): ``<base>/_upstream/<path on the upstream>``,
below the provider's base so that the journal, the recorder and a replaying server file it
with the provider."""
UPSTREAM_FILE = f"{UPSTREAM_PREFIX}/{{path}}"
"""The operation name of such a download in reports."""
TIMEOUT = httpx.Timeout(120.0, connect=10.0)
"""A long read timeout: a provider's long-poll or a render may take a while."""


def passing_headers(headers: Iterable[tuple[str, str]],
                    dropped: frozenset[str] = HOP_BY_HOP) -> list[tuple[str, str]]:
    """``headers`` without the hop-by-hop ones (and those the ``Connection`` header names)."""
    pairs = list(headers)
    named = {token.strip().lower() for name, value in pairs if name.lower() == "connection"
             for token in value.split(",")}
    return [(name, value) for name, value in pairs
            if name.lower() not in dropped and name.lower() not in named]


@dataclass
class Upstream:
    """The provider behind the proxy: its base URL (with the spec's server path) and the one
    client every forwarded request shares."""

    url: str
    client: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(
        timeout=TIMEOUT, follow_redirects=False, trust_env=False))

    def __post_init__(self) -> None:
        self.url = self.url.rstrip("/")
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"--upstream must be an http(s) URL with a host, not {self.url!r}")
        self.origin = f"{parts.scheme}://{parts.netloc}"
        """``scheme://host:port`` of the upstream."""
        self.base_path = parts.path.rstrip("/")
        """The path the upstream serves the provider's spec under."""

    async def send(self, method: str, url: str, query: bytes, headers: list[tuple[str, str]],
                   body: bytes) -> httpx.Response:
        """One request upstream, the body read whole; ``httpx.TransportError`` when the
        upstream cannot be reached."""
        # one parse of the whole URL: httpx checks every character of each URL it parses
        target = f"{url}?{query.decode('latin-1')}" if query else url
        return await self.client.request(method, target, headers=headers, content=body)

    async def close(self) -> None:
        """Close the shared client's connections."""
        await self.client.aclose()
