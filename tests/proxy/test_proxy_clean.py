"""The proxy in front of the bundled mock: a session of every operation of each provider
gives zero violations; downloads and webhooks pass the proxy."""

from __future__ import annotations

import httpx
import pytest
from proxy_helpers import HOOKED, KEY, SESSIONS, proxy, receiver

from mockserver.openapi.spec_index import HTTP_METHODS, index_for
from mockserver.testing.apps import mock_settings
from mockserver.testing.served import MockServer


@pytest.mark.parametrize("provider", sorted(SESSIONS))
def test_every_operation_through_the_proxy_gives_no_violation(provider: str) -> None:
    with MockServer(mock_settings()) as mock, receiver() as hooks, \
            proxy(provider, mock.base_url(provider)) as proxied, \
            httpx.Client(base_url=proxied.base_url, timeout=60) as api:
        seen: list[httpx.Response] = []
        api.event_hooks["response"] = [seen.append]
        SESSIONS[provider](api, mock.advance, hooks.url)
        if provider in HOOKED:
            assert hooks.wait_received(1, timeout=15), "no webhook reached the app through the relay"
        assert proxied.violations() == []
        assert {r.headers["X-Mock-Violations"] for r in seen} == {"0"}
        journal = proxied.journal()
        routes = {(e["method"], e["route"]) for e in journal}
        documented = {(method.upper(), template)
                      for template, item in index_for(provider).spec["paths"].items()
                      for method in item if method in HTTP_METHODS}
        assert documented <= routes, f"operations not exercised: {documented - routes}"
        assert all(e["violations"] == [] for e in journal)
        assert not any(KEY in str(e) for e in journal), "a key was stored"
