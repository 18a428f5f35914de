"""The whole mock on a free 127.0.0.1 port in this process, with its controls: what the
pytest plugin's ``mockserver`` fixture hands a test."""

from __future__ import annotations

import httpx

from mockserver.core.settings import Settings
from mockserver.http.app import create_app
from mockserver.testing.apps import provider_url
from mockserver.testing.controls import MockControls
from mockserver.testing.servers import LocalServer


class MockServer(MockControls):
    """``create_app(settings)`` under uvicorn in a thread: ``url``, ``base_url(provider)`` and
    the ``/_mock`` controls (``advance``, ``webhooks``, ``journal``, ``reset``, ``fault``,
    ``verify``)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.server = LocalServer(create_app(settings))
        self.url = self.server.url
        super().__init__(httpx.Client(base_url=self.url, timeout=60, trust_env=False))

    def base_url(self, provider: str) -> str:
        """The provider's base URL, e.g. ``http://127.0.0.1:PORT/musicgpt/api/public``."""
        return provider_url(self.server.app, self.url, provider)

    def __enter__(self) -> MockServer:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        self.server.__exit__(*exc)
