"""Forwarding to the upstream provider: one shared HTTP client, the headers that pass, and
where a path below the proxy's base goes upstream.

Forwarded requests go through aiohttp (its C HTTP parser costs a fraction of httpx's
pure-Python one: the proxy's added latency is mostly this hop); the webhook relay, a
request now and then, keeps httpx."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aiohttp
import httpx
from yarl import URL

HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "trailers", "transfer-encoding", "upgrade", "host", "content-length",
})
"""Headers that describe one connection (RFC 9110 7.6.1), the Host and the length (httpx
sets both for the upstream connection): never forwarded."""
DECODED = frozenset({"content-encoding"})
"""Response headers dropped on the way back: the client hands over the body decoded."""
UPSTREAM_PREFIX = "/_upstream"
"""Where the proxy serves an upstream URL outside the provider's base path (the bundled
mock's signed files at ``/_mock/files/...``): ``<base>/_upstream/<path on the upstream>``,
below the provider's base so that the journal, the recorder and a replaying server file it
with the provider."""
UPSTREAM_FILE = f"{UPSTREAM_PREFIX}/{{path}}"
"""The operation name of such a download in reports."""
TIMEOUT = httpx.Timeout(120.0, connect=10.0)
"""A long read timeout: a provider's long-poll or a render may take a while."""
FORWARD_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=10.0, sock_read=120.0)
"""The same bounds for forwarded requests."""


class UpstreamUnreachable(Exception):
    """The upstream did not answer (refused, reset, timed out)."""


@dataclass(frozen=True)
class Answer:
    """The upstream's answer, its body read whole (and decoded)."""

    status_code: int
    headers: list[tuple[str, str]]
    content: bytes

    def header(self, name: str) -> str:
        """The first value of header ``name`` (any case), or ``""``."""
        name = name.lower()
        return next((value for key, value in self.headers if key.lower() == name), "")


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
    """The webhook relay's client."""
    _session: aiohttp.ClientSession | None = None

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
                   body: bytes) -> Answer:
        """One request upstream, the body read whole; ``UpstreamUnreachable`` when the
        upstream cannot be reached."""
        if self._session is None:  # made on the server's event loop, at first use
            self._session = aiohttp.ClientSession(
                timeout=FORWARD_TIMEOUT, auto_decompress=True, trust_env=False,
                skip_auto_headers=("User-Agent",))
        # as sent: the path and query are not re-quoted on the way
        target = URL(f"{url}?{query.decode('latin-1')}" if query else url, encoded=True)
        try:
            async with self._session.request(method, target, headers=headers, data=body or None,
                                             allow_redirects=False) as response:
                content = await response.read()
                return Answer(response.status, list(response.headers.items()), content)
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise UpstreamUnreachable(f"{type(exc).__name__} {exc}".rstrip()) from exc

    async def close(self) -> None:
        """Close the shared clients' connections."""
        await self.client.aclose()
        if self._session is not None:
            await self._session.close()
