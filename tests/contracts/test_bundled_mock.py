"""``mockserver contract all`` against the bundled mock: every provider keeps its contract
(a short run; the full one, 100 examples per operation, is in the README's figures)."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from mockserver.contracts.providers import PROVIDERS
from mockserver.contracts.semantic import PROPERTIES


def test_every_provider_of_the_bundled_mock_keeps_its_contract(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "mockserver.cli", "contract", "all", "--examples", "3", "--strict",
         "--junit", str(tmp_path / "all.xml")],
        capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    root = ET.parse(tmp_path / "all.xml").getroot()
    ran = {(suite.get("name"), case.get("name"))
           for suite in root.iter("testsuite") for case in suite.iter("testcase")}
    expected = {(p, "conformance") for p in PROVIDERS} | {
        (p, prop.name) for p in PROVIDERS for prop in PROPERTIES[p]}
    assert expected <= ran, expected - ran
    assert not list(root.iter("failure")) and not list(root.iter("skipped"))
    # the idempotency properties read what the mock charged: nothing left unchecked
    notes = " ".join(out.text or "" for out in root.iter("system-out"))
    assert "schemathesis:" in notes and "charges not checked" not in notes
