"""schemathesis over every Muzaic operation, positive and negative cases, all checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from live import LiveServer
from mockserver.settings import Settings

CONFIG = Path(__file__).parents[2] / "schemathesis" / "muzaic.toml"
EXAMPLES = "100" if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else "25"
KEY = "schemathesis-key"


def test_schemathesis_finds_no_failures(tmp_path: Path) -> None:
    # Only the known key is accepted, so schemathesis can check that bad keys are refused.
    settings = Settings(state_path=str(tmp_path / "state.db"), api_keys=(KEY,))
    with LiveServer(settings) as live:
        run = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run",
             f"{live.url}/muzaic/openapi.json", "--checks", "all", "--mode", "all",
             "-n", EXAMPLES, "--seed", "1", "--workers", "2", "--no-color",
             "--request-timeout", "120",
             "-H", f"MuzaicAPI-Secret-Key: {KEY}",
             "--report", "junit", "--report-dir", str(tmp_path / "report")],
            capture_output=True, text=True, cwd=tmp_path, timeout=600,
        )
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    assert "7/7" in run.stdout, run.stdout[-2000:]
