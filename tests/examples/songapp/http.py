"""The one way the clients make their httpx clients."""

from __future__ import annotations

import httpx


def make_client(base_url: str, headers: dict[str, str],
                transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """A client for ``base_url`` sending ``headers`` on every call."""
    return httpx.Client(base_url=base_url, headers=headers, transport=transport, timeout=60)


def make_async_client(base_url: str, headers: dict[str, str],
                      transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """An async client for ``base_url`` sending ``headers`` on every call."""
    return httpx.AsyncClient(base_url=base_url, headers=headers, transport=transport, timeout=60)


def fetch(client: httpx.Client, url: str) -> bytes:
    """The bytes at ``url`` (a file link the API handed out)."""
    response = client.get(url)
    response.raise_for_status()
    return response.content
