"""Conformance: schemathesis over every operation of the provider's spec (positive and
negative cases, all checks, the stateful submit -> poll links), failures as violations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx

from .budget import Budget
from .core import CheckResult, Target, Violation, short
from .providers import PROVIDERS, ProviderInfo

DURATION_FIELDS = ("duration", "audio_length", "time")
CAP_SECONDS = 2


def duration_caps(spec: dict, cap: float = CAP_SECONDS) -> dict[str, list[float]]:
    """``{field: [cap, smallest documented maximum]}`` for the spec's length fields."""
    maxima: dict[str, float] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in (node.get("properties") or {}).items():
                if key in DURATION_FIELDS and isinstance(value, dict) and "maximum" in value:
                    maxima[key] = min(maxima.get(key, value["maximum"]), value["maximum"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    return {k: [cap, m] for k, m in maxima.items() if m > cap}


def classify(title: str, text: str) -> str:
    """The violation name for one schemathesis failure."""
    lowered = (title + " " + text).lower()
    if "undocumented http status" in lowered:
        return "status_code_changed"
    if "violates schema" in lowered or "schema validation" in lowered:
        status = _status_in(text)
        if status is not None and status >= 400:
            return "error_shape"
        if "is a required property" in lowered:
            return "field_dropped"
        if "is not one of" in lowered:
            return "enum_violation"
        if "is not of type" in lowered or "is not valid under any" in lowered:
            return "type_changed"
        return "schema_violation"
    if "undocumented content-type" in lowered or "content-type" in lowered and "missing" in lowered:
        return "type_changed"
    return "conformance_" + "_".join(title.lower().replace("-", " ").split())[:60]


def _status_in(text: str) -> int | None:
    import re
    match = re.search(r"\[(\d{3})\]", text) or re.search(r"status(?: code)?:? (\d{3})", text,
                                                          re.I)
    return int(match.group(1)) if match else None


def spec_source(target: Target, client: httpx.Client, folder: Path) -> tuple[str, list[str]]:
    """The served ``<base>/openapi.json`` if there is one, else the bundled spec + ``--url``."""
    try:
        served = client.get(target.base_url + "/openapi.json", timeout=10)
        if served.status_code == 200 and "openapi" in served.json():
            return target.base_url + "/openapi.json", []
    except (httpx.HTTPError, ValueError):
        pass
    path = folder / f"{target.provider}.json"
    path.write_text(json.dumps(PROVIDERS[target.provider].spec))
    return str(path), ["--url", target.base_url]


def command(info: ProviderInfo, source: str, extra: list[str], key: str, examples: int,
            junit: Path, exclude_paid: bool) -> list[str]:
    """The schemathesis command line for one provider."""
    args = [sys.executable, "-m", "schemathesis.cli", "--config-file",
            str(info.schemathesis_config), "run", source, *extra, "--checks", "all",
            "--mode", "all", "-n", str(examples), "--seed", "1", "--workers", "1",
            "--no-color", "--request-timeout", "120", "-H", info.auth_header(key),
            "--report", "junit", "--report-junit-path", str(junit)]
    if exclude_paid:  # the links start at paid operations: no stateful phase without them
        args += ["--phases", "examples,coverage,fuzzing"]
        for method, path in info.paid:
            args += ["--exclude-name", f"{method} {path}"]
    return args


def parse_junit(path: Path, provider: str, check: str) -> list[Violation]:
    """schemathesis' JUnit failures as violations (one per name and operation)."""
    if not path.exists():
        return []
    found: dict[tuple[str, str], Violation] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        for failure in [*case.iter("failure"), *case.iter("error")]:
            text = (failure.text or "") + " " + (failure.get("message") or "")
            for title, body in _split_failures(text):
                name = classify(title, body)
                curl = _curl_in(body)
                found.setdefault((name, case.get("name", "")), Violation(
                    name, case.get("name", ""), f"schemathesis check: {title}",
                    short(body, 400), curl, check))
    return list(found.values())


def _split_failures(text: str) -> list[tuple[str, str]]:
    """Each numbered failure (``1. Title``) of a JUnit failure text, with its details."""
    import re
    parts = re.split(r"\n\s*(?:\d+\.|-)\s+(?=[A-Z])", "\n" + text)
    out = []
    for part in parts:
        part = part.strip()
        if not part:
            continue
        title, _, rest = part.partition("\n")
        out.append((title.strip(), part))
    return out or [("failure", text)]


def _curl_in(text: str) -> str:
    for line in text.splitlines():
        if line.strip().startswith("curl "):
            return line.strip()
    return ""


def run_conformance(target: Target, budget: Budget, examples: int,
                    output: list[str] | None = None) -> CheckResult:
    """Run schemathesis over the spec; every failure becomes a violation."""
    info = PROVIDERS[target.provider]
    result = CheckResult(target.provider, "conformance")
    started = time.monotonic()
    left = budget.time_left()
    if left is not None and left <= 1:
        result.skipped = "--budget-seconds spent"
        return result
    with tempfile.TemporaryDirectory() as tmp, httpx.Client() as client:
        folder = Path(tmp)
        source, extra = spec_source(target, client, folder)
        junit = folder / "junit.xml"
        exclude_paid = budget.limited
        if exclude_paid:
            result.notes.append("paid operations left to the semantic checks (--max-calls set):"
                                " " + ", ".join(f"{m} {p}" for m, p in info.paid))
        env = {**os.environ, "SCHEMATHESIS_HOOKS": "contracts.st_hooks",
               "CONTRACT_DURATION_CAPS": json.dumps(duration_caps(info.spec)),
               "PYTHONPATH": os.pathsep.join(
                   [str(Path(__file__).resolve().parent.parent),
                    os.environ.get("PYTHONPATH", "")])}
        args = command(info, source, extra, target.api_key, examples, junit, exclude_paid)
        try:
            run = subprocess.run(args, capture_output=True, text=True, env=env, cwd=tmp,
                                 timeout=left if left is not None else 1800)
            stdout, stderr, code = run.stdout, run.stderr, run.returncode
        except subprocess.TimeoutExpired as stopped:
            stdout = (stopped.stdout or b"").decode() if isinstance(stopped.stdout, bytes) \
                else (stopped.stdout or "")
            stderr, code = "", 0
            result.notes.append("stopped by --budget-seconds")
        if output is not None:
            output.append(stdout)
        result.violations = parse_junit(junit, target.provider, "conformance")
        if code != 0 and not result.violations:
            result.violations.append(Violation(
                "conformance_error", "schemathesis", "a clean schemathesis run",
                short(stdout[-1500:] + stderr[-800:], 1500), check="conformance"))
        result.notes.append(_summary(stdout))
    result.seconds = time.monotonic() - started
    return result


def _summary(stdout: str) -> str:
    for line in stdout.splitlines():
        if "generated" in line and ("passed" in line or "failed" in line):
            return "schemathesis: " + line.strip()
    return "schemathesis: (no summary)"
