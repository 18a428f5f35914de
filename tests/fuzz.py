"""Run schemathesis (its CLI, as a user would) against a live server; one place for all
providers' fuzz tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from live import LiveServer
from mockserver.contracts.conformance import hypothesis_storage
from mockserver.contracts.pacing import Rate
from mockserver.testing.servers import Receiver

# The same per-provider settings the contract suite ships (contracts/schemathesis/*.toml).
CONFIG_DIR = Path(__file__).parents[1] / "contracts" / "schemathesis"
EXAMPLES = "100" if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else "25"


def run_schemathesis(live: LiveServer, spec_path: str, config: str, header: str,
                     report_dir: Path, request_timeout: int = 120, rate: Rate | None = None) -> str:
    """Fuzz every operation (all phases, all checks, positive and negative); return stdout.

    One worker: hypothesis describes filters with ``ast.parse``, which is not thread-safe on
    CPython 3.11 ("AST constructor recursion depth mismatch"). A fixed seed keeps CI
    reproducible; the thorough profile runs 100 examples per operation. With ``rate`` (a
    provider's documented limit), the contract suite's hook paces the calls by moving the
    live server's clock, so the server keeps its limit and fuzzing meets no 429. Callback
    URLs of valid bodies point at a local receiver (the hook's ``CONTRACT_CALLBACK_URL``).
    """
    with Receiver() as receiver:
        env = {**os.environ, "SCHEMATHESIS_HOOKS": "mockserver.contracts.st_hooks",
               "HYPOTHESIS_STORAGE_DIRECTORY": hypothesis_storage(),
               "CONTRACT_CALLBACK_URL": receiver.url,
               "CONTRACT_PACING": json.dumps({
                   "requests": rate.requests if rate else None,
                   "window": rate.window if rate else None,
                   "advance": live.url + "/_mock/clock/advance"})}
        run = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "--config-file",
             str(CONFIG_DIR / config), "run", f"{live.url}{spec_path}", "--checks", "all",
             "--mode", "all", "-n", EXAMPLES, "--seed", "1", "--workers", "1", "--no-color",
             "--request-timeout", str(request_timeout), "-H", header,
             "--report", "junit", "--report-dir", str(report_dir)],
            capture_output=True, text=True, cwd=report_dir.parent, timeout=900, env=env,
        )
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    return run.stdout
