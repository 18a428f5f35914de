"""Rate limits per provider and key, on the mock's clock, in the provider's format."""

from __future__ import annotations

from pathlib import Path

import httpx

from live import LiveServer
from mockserver.core.settings import Settings


def test_limit_per_key_with_retry_after_and_window_on_the_clock(tmp_path: Path) -> None:
    config = {"providers": {"muzaic": {"rate_limit": {"requests": 3, "window_seconds": 60}}}}
    settings = Settings(state_path=str(tmp_path / "s.db"), clock="manual", config=config)
    with LiveServer(settings) as live:
        def call(key: str) -> httpx.Response:
            return httpx.get(live.url + "/muzaic/getTags", headers={"MuzaicAPI-Secret-Key": key})

        first = [call("a").status_code for _ in range(3)]
        refused = call("a")
        other_key = call("b")
        httpx.post(live.url + "/_mock/clock/advance", json={"seconds": 60})
        after_window = call("a")
    assert first == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.json() == {"error": "Rate limit exceeded; retry in 60 seconds"}
    assert refused.headers["retry-after"] == "60"
    assert other_key.status_code == 200
    assert after_window.status_code == 200


def test_no_limit_unless_documented_or_configured(fresh_server: LiveServer) -> None:
    statuses = {httpx.get(fresh_server.url + "/muzaic/getTags",
                          headers={"MuzaicAPI-Secret-Key": "k"}).status_code for _ in range(30)}
    assert statuses == {200}
