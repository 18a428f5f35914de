"""Live servers for provider tests: uvicorn on 127.0.0.1 with a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from live import LiveServer
from mockserver.core.settings import Settings

MUZAIC_KEY = "test-key-muzaic"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server with every provider, shared by the session (state in a real file)."""
    state = tmp_path_factory.mktemp("state") / "state.db"
    with LiveServer(Settings(state_path=str(state))) as live:
        yield live


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server of its own for a test that counts state."""
    with LiveServer(Settings(state_path=str(tmp_path / "state.db"))) as live:
        yield live


@pytest.fixture(scope="module")
def manual_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server on the manual clock, shared by one test module."""
    state = tmp_path_factory.mktemp("manual") / "state.db"
    with LiveServer(Settings(state_path=str(state), clock="manual")) as live:
        yield live


@pytest.fixture
def muzaic(server: LiveServer) -> Iterator[httpx.Client]:
    """A client for ``/muzaic`` with a key."""
    with server.client("/muzaic", headers={"MuzaicAPI-Secret-Key": MUZAIC_KEY}) as client:
        yield client
