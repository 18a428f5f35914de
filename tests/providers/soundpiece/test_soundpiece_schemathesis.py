"""schemathesis over every Soundpiece operation (PUT and GET, and the PUT -> GET links),
positive and negative cases, all checks."""

from __future__ import annotations

from pathlib import Path

from fuzz import run_schemathesis
from live import LiveServer
from mockserver.core.settings import Settings

KEY = "spk_schemathesis"


def test_schemathesis_finds_no_failures(tmp_path: Path) -> None:
    # Only the known key is accepted, so schemathesis can check that bad keys are refused.
    # The instant clock makes every operation ready at once, so wait=true never waits; no
    # webhook secret means generated callback URLs are never called.
    settings = Settings(state_path=str(tmp_path / "state.db"), api_keys=(KEY,), clock="instant",
                        config={"providers": {"soundpiece": {
                            "webhook_secret": None, "long_poll_seconds": 1}}})
    with LiveServer(settings) as live:
        out = run_schemathesis(live, "/soundpiece/openapi.json", "soundpiece.toml",
                               f"Authorization: Bearer {KEY}", tmp_path / "report",
                               request_timeout=60)
    assert "12/12" in out or "12 passed" in out, out[-2000:]
