"""What a plain ``pip install`` gives: a working CLI (every command and its --help), the
contract command's engine as a runtime dependency, and no package name that can clash."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from importlib.metadata import requires
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("args", [[], ["--help"], ["serve", "--help"], ["contract", "--help"]])
def test_every_cli_command_and_its_help_work(args: list[str], tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "mockserver.cli", *args], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "Usage: " in run.stdout and "Traceback" not in run.stderr


def test_the_contract_engine_is_a_runtime_dependency() -> None:
    runtime = {r.split(";")[0].split(">")[0].split("<")[0].split("=")[0].strip().lower()
               for r in requires("mockserver") or [] if "extra ==" not in r}
    assert {"schemathesis", "hypothesis"} <= runtime


def test_the_wheel_installs_only_the_mockserver_package(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True,
                   timeout=300)
    (wheel,) = tmp_path.glob("mockserver-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"mockserver"}, top
    assert "mockserver/contracts/cli.py" in names
    assert "mockserver/contracts/schemathesis/musicgen.toml" in names
    assert "mockserver/contracts/semantic/muzaic.py" in names
