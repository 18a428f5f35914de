"""pytest plugin (the ``pytest11`` entry point ``mockserver``): the ``mockserver`` fixture and
the ``mockserver`` marker.

pytest loads this module in every run wherever mockserver is installed, so it imports nothing
heavy: the app is built inside the fixture.

- ``mockserver``: the whole mock on a free 127.0.0.1 port (uvicorn in a thread, state in a
  fresh SQLite file), a ``MockServer``: ``url``, ``base_url(provider)``, ``advance(seconds)``,
  ``webhooks(provider)``, ``journal(provider)``, ``fault(**rule)``, ``verify(**pattern)``,
  ``reset()``. The clock is manual unless the marker says otherwise.
- ``@pytest.mark.mockserver(clock=..., seed=..., providers=[...], config={...}, speed=...)``:
  any ``Settings`` field for the test (a class or module mark too; the closest wins).
- ``--mockserver-reuse`` (or ``mockserver_reuse = true`` in the ini file): one server per
  distinct settings for the whole session, reset before each test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mockserver.testing.served import MockServer

MARKER = "mockserver"


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--mockserver-reuse`` and the ini setting ``mockserver_reuse``."""
    group = parser.getgroup("mockserver")
    group.addoption("--mockserver-reuse", action="store_true", default=False,
                    help="one mockserver per distinct settings for the session, reset before"
                         " each test (default: a fresh server per test)")
    parser.addini("mockserver_reuse", type="bool", default=False,
                  help="as --mockserver-reuse")


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker."""
    config.addinivalue_line(
        "markers", f"{MARKER}(**settings): settings of the `mockserver` fixture's server"
                   " (clock, seed, providers, config, speed, api_keys, ...)")


def _overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The marker's settings, the closest mark winning (function over class over module)."""
    overrides: dict[str, Any] = {}
    for mark in reversed(list(request.node.iter_markers(MARKER))):
        if mark.args:
            raise pytest.UsageError(f"@pytest.mark.{MARKER} takes keyword arguments only")
        overrides.update(mark.kwargs)
    return overrides


def _reuse(config: pytest.Config) -> bool:
    return bool(config.getoption("mockserver_reuse") or config.getini("mockserver_reuse"))


def _start(state: Path, overrides: dict[str, Any]) -> MockServer:
    from mockserver.testing.apps import mock_settings
    from mockserver.testing.served import MockServer

    settings = mock_settings(**{"state_path": str(state), **overrides})
    return MockServer(settings).__enter__()


class _Pool:
    """The servers ``--mockserver-reuse`` keeps for the session, one per distinct settings."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.servers: dict[str, MockServer] = {}

    def get(self, overrides: dict[str, Any]) -> MockServer:
        """The session's server with these settings (started on first use), reset."""
        key = json.dumps(overrides, sort_keys=True, default=repr)
        server = self.servers.get(key)
        if server is None:
            state = self.directory / f"state-{len(self.servers)}.db"
            server = self.servers[key] = _start(state, overrides)
        else:
            server.reset()
        return server

    def close(self) -> None:
        """Stop every server."""
        for server in self.servers.values():
            server.__exit__()


@pytest.fixture(scope="session")
def _mockserver_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Pool]:
    """The reused servers (only with ``--mockserver-reuse``)."""
    pool = _Pool(tmp_path_factory.mktemp("mockserver"))
    yield pool
    pool.close()


@pytest.fixture
def mockserver(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MockServer]:
    """The whole mock on a free 127.0.0.1 port, with its controls (see the module doc)."""
    overrides = _overrides(request)
    if _reuse(request.config):
        yield request.getfixturevalue("_mockserver_pool").get(overrides)
        return
    server = _start(tmp_path / "mockserver.db", overrides)
    try:
        yield server
    finally:
        server.__exit__()
