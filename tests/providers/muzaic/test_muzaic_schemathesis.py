"""schemathesis over every Muzaic operation, positive and negative cases, all checks."""

from __future__ import annotations

from pathlib import Path

from fuzz import run_schemathesis
from live import LiveServer
from mockserver.core.settings import Settings

KEY = "schemathesis-key"


def test_schemathesis_finds_no_failures(tmp_path: Path) -> None:
    # Only the known key is accepted, so schemathesis can check that bad keys are refused.
    settings = Settings(state_path=str(tmp_path / "state.db"), api_keys=(KEY,))
    with LiveServer(settings) as live:
        out = run_schemathesis(live, "/muzaic/openapi.json", "muzaic.toml",
                               f"MuzaicAPI-Secret-Key: {KEY}", tmp_path / "report")
    assert "7/7" in out, out[-2000:]
