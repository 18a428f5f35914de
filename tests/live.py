"""Real servers for tests: uvicorn on 127.0.0.1 in a thread, or as a separate process."""

from __future__ import annotations

from dataclasses import replace

import httpx

from mockserver.core.settings import Settings
from mockserver.http.app import create_app
from mockserver.testing.servers import LocalServer, ServerProcess  # noqa: F401 (tests import it here)
from postgres_db import state_for


class LiveServer(LocalServer):
    """``create_app(settings)`` served by uvicorn in a background thread on a free port; its
    state in PostgreSQL instead of SQLite when the suite runs there (``postgres_db``)."""

    def __init__(self, settings: Settings) -> None:
        settings = replace(settings, state_path=state_for(settings.state_path))
        self.settings = settings
        super().__init__(create_app(settings))

    @property
    def services(self):
        """The server's shared machinery (store, clock, accounts)."""
        return self.app.services

    def client(self, prefix: str = "", **kwargs) -> httpx.Client:
        """An httpx client for ``url + prefix``."""
        return httpx.Client(base_url=self.url + prefix, timeout=120, **kwargs)
