"""schemathesis over every Music Gen AI operation: positive and negative cases, all checks,
and the stateful phase that follows the submit -> poll links."""

from __future__ import annotations

from pathlib import Path

from fuzz import run_schemathesis
from live import LiveServer
from mockserver.contracts.providers import PROVIDERS
from mockserver.core.settings import Settings

KEY = "schemathesis-key"


def test_schemathesis_finds_no_failures(tmp_path: Path) -> None:
    # Only the known key is accepted, so schemathesis can check that bad keys are refused.
    # The instant clock completes every task at once (the links' polls see audio URLs and the
    # concurrency limit is never reached). Fuzzing sends far more than the documented 100
    # requests a minute: the server keeps that limit, and the calls are paced to it by moving
    # the server's clock.
    settings = Settings(state_path=str(tmp_path / "state.db"), api_keys=(KEY,), clock="instant")
    with LiveServer(settings) as live:
        out = run_schemathesis(live, "/musicgen/api/v1/openapi.json", "musicgen.toml",
                               f"Authorization: Bearer {KEY}", tmp_path / "report",
                               rate=PROVIDERS["musicgen"].rate)
    assert "7/7" in out, out[-2000:]
    assert "API Links:    4 covered / 4 selected" in out, out[-2000:]
