"""Real servers for tests, the contract suite and the pytest plugin: the mock served by uvicorn
on 127.0.0.1 (in a thread or as its own process), a webhook receiver, and the whole mock as an
httpx transport (``transport()``) that needs no socket."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    # imported on first use: the pytest plugin lives in this package and must stay light
    if name == "transport":
        from mockserver.testing.inprocess import transport
        return transport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
