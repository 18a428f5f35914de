"""Conformance: schemathesis over every operation of the provider's spec (positive and
negative cases, all checks, the stateful submit -> poll links), failures as violations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from .budget import Budget
from .calls import CallLog, CallStats
from .caps import CAP_SECONDS, duration_caps, nested_fills
from .core import CheckResult, Target, Violation, mostly, short
from .pacing import Rate
from .progress import Progress
from .providers import PROVIDERS, ProviderInfo
from .st_failures import parse_junit

RUN_CAP = 1800.0
"""Seconds schemathesis may run when --budget-seconds sets no bound."""

MOCK_CALLBACK_URL = "http://127.0.0.1:9/contract-callback"
"""Where the bundled mock's fuzzed submissions ask for their webhooks: a closed loopback
port (see ``st_hooks``; the semantic checks have a receiver of their own)."""


def hypothesis_storage() -> str:
    """Where the schemathesis process keeps hypothesis' files between runs:
    ``$HYPOTHESIS_STORAGE_DIRECTORY`` if set, else ``mockserver/hypothesis`` in the user's
    cache directory (``$XDG_CACHE_HOME`` or ``~/.cache``).

    Hypothesis builds its Unicode tables (which code points a codec encodes, the character
    categories) by walking all 1.1 million code points, and stores them there. Left to its
    default, ``.hypothesis`` in the working directory, that is a fresh temporary folder each
    run, and every fuzzed provider spent seconds of CPU rebuilding them. No examples are
    kept there (the run passes ``--generation-database none``)."""
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        return os.environ["HYPOTHESIS_STORAGE_DIRECTORY"]
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(cache) / "mockserver" / "hypothesis")


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
            # no example database: each run starts fresh anyway, and keeping hypothesis'
            # pareto front of targets costs a quarter of the fuzzing time
            "--generation-database", "none",
            # a test case generated twice is sent once: the repeat tells nothing new
            "--generation-unique-inputs",
            # a 429 is waited out as its Retry-After asks and the call retried (the hook
            # paces calls to the provider's rate, so few should come)
            "--rate-limit", "auto",
            "--report", "junit", "--report-junit-path", str(junit)]
    if exclude_paid:  # the links start at paid operations: no stateful phase without them
        args += ["--phases", "examples,coverage,fuzzing"]
        for method, path in info.paid:
            args += ["--exclude-name", f"{method} {path}"]
    return args


def run_conformance(target: Target, budget: Budget, examples: int, rate: Rate | None = None,
                    progress: Progress | None = None, output: list[str] | None = None,
                    per_operation: dict[str, int] | None = None) -> CheckResult:
    """Run schemathesis over the spec, paced to ``rate``; every failure becomes a violation,
    429s are counted apart, and a run that rate limits mostly kept from the operations fails
    as ``rate_limited``."""
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
        calls = CallLog(folder / "calls.jsonl")
        exclude_paid = budget.limited
        if exclude_paid:
            result.notes.append("paid operations left to the semantic checks (--max-calls set):"
                                " " + ", ".join(f"{m} {p}" for m, p in info.paid))
        env = {**os.environ, "SCHEMATHESIS_HOOKS": "mockserver.contracts.st_hooks",
               "HYPOTHESIS_STORAGE_DIRECTORY": hypothesis_storage(),
               "CONTRACT_DURATION_CAPS": json.dumps(duration_caps(info.spec)),
               "CONTRACT_NESTED_FILLS": json.dumps(nested_fills(info.spec)),
               "CONTRACT_CALL_LOG": str(calls.path),
               "CONTRACT_PACING": json.dumps(pacing(target, rate)),
               "CONTRACT_CALLBACK_URL": MOCK_CALLBACK_URL if target.own_clock else ""}
        args = command(info, source, extra, target.api_key, examples, junit, exclude_paid)
        if progress is not None:
            progress.started(target.provider, "conformance",
                             lambda: _counts(calls.stats()))
        cap = left if left is not None else RUN_CAP
        stopped_early = False
        try:
            run = subprocess.run(args, capture_output=True, text=True, env=env, cwd=tmp,
                                 timeout=cap)
            stdout, stderr, code = run.stdout, run.stderr, run.returncode
        except subprocess.TimeoutExpired as stopped:
            stdout = (stopped.stdout or b"").decode() if isinstance(stopped.stdout, bytes) \
                else (stopped.stdout or "")
            stderr, code, stopped_early = "", 0, True
            result.notes.append("stopped by --budget-seconds" if left is not None else
                                f"stopped after {RUN_CAP:g} s")
        if output is not None:
            output.append(stdout)
        result.violations = parse_junit(junit, "conformance")
        if code != 0 and not result.violations:
            result.violations.append(Violation(
                "conformance_error", "schemathesis", "a clean schemathesis run",
                short(stdout[-1500:] + stderr[-800:], 1500), check="conformance"))
        result.notes.append(_summary(stdout))
        stats = calls.stats()
        _account(result, stats)
        for method, path in info.paid:  # fuzzing's paid calls count in the run's cost too
            count = stats.per_operation.get(f"{method} {path}", 0)
            budget.record(count, count * info.fuzzed_call_cost(method, path, CAP_SECONDS))
        if stopped_early and not result.violations:
            # its report is written at the end: what it found so far is unknown
            result.skipped = (f"stopped after {cap:g} s, before schemathesis reported"
                              " (a pass is not known)")
        if per_operation is not None:
            per_operation.update(stats.per_operation)
        result.seconds = time.monotonic() - started
        result.conclude()
        if progress is not None:  # while the call log is still there to count
            progress.finished(target.provider, "conformance", result.status)
    return result


def pacing(target: Target, rate: Rate | None) -> dict:
    """What the schemathesis hook needs to pace its calls (see ``st_hooks``)."""
    return {"requests": rate.requests if rate else None, "window": rate.window if rate else None,
            "advance": target.origin + "/_mock/clock/advance" if target.own_clock else None}


def _account(result: CheckResult, stats: CallStats) -> None:
    """Counts from the call log: conformance calls apart from 429s, rate-limit coverage."""
    result.calls, result.rate_limited, result.last_call = (
        stats.total, stats.rate_limited, stats.last)
    result.exercised = len(stats.operations)
    if stats.total == 0:
        result.not_run.append("schemathesis made no call")
    elif not stats.operations:
        result.not_run.append(f"rate limited: all {stats.total} calls answered 429")
    result.notes.append(f"{stats.conformance} conformance call(s)"
                        + (f"; {stats.rate_limited} answered 429, waited out and not counted"
                           if stats.rate_limited else ""))
    fuzzed = len(stats.per_operation)
    if stats.limited_only and mostly(len(stats.limited_only), fuzzed):
        result.violations.append(Violation(
            "rate_limited", "conformance", "most operations answered (not only 429)",
            f"{len(stats.limited_only)} of {fuzzed} operations got nothing but 429"
            f" ({stats.rate_limited} of {stats.total} calls): give the provider's limit with"
            " --rate", check="conformance"))


def _counts(stats: CallStats) -> tuple[int, int]:
    return stats.total, stats.rate_limited


def _summary(stdout: str) -> str:
    """schemathesis' own count of test cases (the line under "Test cases:")."""
    lines = [line.strip() for line in stdout.splitlines()]
    for i, line in enumerate(lines):
        if line == "Test cases:" and i + 1 < len(lines) and lines[i + 1]:
            return "schemathesis: " + lines[i + 1]
    return "schemathesis: (no summary)"
