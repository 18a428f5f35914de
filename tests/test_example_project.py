"""The example project (tests/examples: a small app tested with the pytest plugin's fixture
and with the in-process transport) passes when run as its own project, as a user runs it:
with a fresh server per test, and with one reused server per settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent / "examples"
EXPECTED = "13 passed"  # 7 with the fixture, 6 with the transport


@pytest.mark.parametrize("options", [[], ["--mockserver-reuse"]], ids=["fresh", "reuse"])
def test_the_example_project_passes(options: list[str]) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(EXAMPLES / "pytest.ini"), str(EXAMPLES),
         "-q", "-p", "no:cacheprovider", *options],
        cwd=EXAMPLES.parent.parent, capture_output=True, text=True, timeout=600)
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert summary.startswith(EXPECTED), summary
