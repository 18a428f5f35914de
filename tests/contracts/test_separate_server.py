"""``mockserver contract`` against a separately started ``mockserver serve`` as if it were the
real provider: base URL + key, the budget honoured, JUnit XML that parses, a markdown report."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx

from live import ServerProcess

KEY = "separate-key"


def test_contract_against_a_separate_server_honours_the_budget(tmp_path: Path) -> None:
    args = ["--provider", "musicgpt", "--api-key", KEY, "--state", str(tmp_path / "s.db"),
            "--clock", "real", "--speed", "50"]
    with ServerProcess(args, cwd=tmp_path) as server:
        run = subprocess.run(
            [sys.executable, "-m", "mockserver.cli", "contract", "musicgpt",
             "--base-url", server.url + "/api/public", "--api-key", KEY, "--examples", "2",
             "--max-calls", "4", "--junit", str(tmp_path / "c.xml"),
             "--markdown", str(tmp_path / "c.md")],
            capture_output=True, text=True, cwd=tmp_path, timeout=300)
        journal = httpx.get(server.url + "/_mock/journal",
                            params={"limit": 1000, "provider": "musicgpt"}).json()
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    entries = journal["entries"] if isinstance(journal, dict) else journal
    generations = [e for e in entries if e["method"] == "POST" and
                   e["path"].endswith("/v1/sound_generator")]
    assert 1 <= len(generations) <= 4, [e["path"] for e in entries]
    root = ET.parse(tmp_path / "c.xml").getroot()
    names = {case.get("name") for case in root.iter("testcase")}
    assert {"conformance", "job_lifecycle_audio_webhook", "idempotent_replay"} <= names
    assert not list(root.iter("failure"))
    assert any(s.get("message", "").startswith("--max-calls") for s in root.iter("skipped"))
    # a server without a manual clock is treated as a real provider: no balance to read
    notes = " ".join(out.text or "" for out in root.iter("system-out"))
    assert "charges not checked" in notes
    text = (tmp_path / "c.md").read_text()
    # the check the budget stopped is a skip, said as such: never "all contracts hold"
    assert text.startswith("# Contract report") and "No violations; 1 check(s) skipped" in text
    assert "generation call(s)" in run.stdout
