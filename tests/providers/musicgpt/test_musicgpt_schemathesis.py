"""schemathesis over every MusicGPT operation: positive and negative cases, all checks, and
the stateful phase that follows the submit -> poll links."""

from __future__ import annotations

from pathlib import Path

from fuzz import run_schemathesis
from live import LiveServer
from mockserver.core.settings import Settings

KEY = "schemathesis-key"


def test_schemathesis_finds_no_failures(tmp_path: Path) -> None:
    # Only the known key is accepted, so schemathesis can check that bad keys are refused.
    # The instant clock makes every submission COMPLETED at once: the links' polls then see
    # the full conversion (audio_url, conversion_duration) without anything waiting.
    settings = Settings(state_path=str(tmp_path / "state.db"), api_keys=(KEY,), clock="instant")
    with LiveServer(settings) as live:
        out = run_schemathesis(live, "/musicgpt/api/public/openapi.json", "musicgpt.toml",
                               f"Authorization: {KEY}", tmp_path / "report")
    assert "2/2" in out, out[-2000:]
    assert "API Links:    2 covered / 2 selected" in out, out[-2000:]
