"""Every failure path of the contract suite, exercised: each violation a check can report and
each way a check can end skipped, against a deliberately broken mock (``drift``), asserted by
the violation's name or the skip's reason. A report never crashes, and a skip is never a pass.

The drifts already proven in ``test_drift`` (field dropped from a poll, type changed, unknown
status, lifecycle backwards, undecodable FLAC, wrong length, webhook missing or badly signed,
idempotency) are not repeated here."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from drift import KEY, Rewriter, edit_json, run_broken, run_server
from starlette.types import ASGIApp

from mockserver.contracts.budget import Budget
from mockserver.contracts.core import CheckResult, Report, Target, Violation
from mockserver.contracts.local import free_port
from mockserver.contracts.runner import Options, run_contract

Wrap = Callable[[ASGIApp], ASGIApp]


def found(report: Report, name: str) -> list[Violation]:
    """The violations named ``name`` (at least one: the assertion shows what came instead)."""
    hits = [v for v in report.violations if v.name == name]
    assert hits, f"no {name}; got: " + "\n".join(v.describe() for v in report.violations)
    return hits


def check(report: Report, name: str) -> CheckResult:
    """The result of the check named ``name``."""
    (result,) = [r for r in report.results if r.name == name]
    return result


def assert_skipped(result: CheckResult, *reasons: str) -> None:
    """``result`` ended skipped (not passed, not failed), its reason naming each of ``reasons``."""
    assert result.status == "skipped" and not result.passed, (result.status, result.violations)
    for reason in reasons:
        assert reason in result.skipped, result.skipped


def _ask(match: str, change: Callable[[dict], None]) -> Wrap:
    """The mock with ``change`` applied to each JSON request body of ``match``."""
    def changed(body: Any) -> Any:
        if isinstance(body, dict):
            change(body)
        return body
    return lambda app: Rewriter(app, match, request=edit_json(changed))


# -- the run as a whole: wrong base URL, no server, only rate limits -------------------------

@pytest.mark.parametrize("wrong", [
    lambda base_url: base_url.removesuffix("/api/public"),  # the server path left out
    lambda base_url: base_url + "/nope",
], ids=["no_server_path", "other_path"])
def test_a_wrong_base_url_fails_as_such_and_runs_nothing_else(
        tmp_path: Path, wrong: Callable[[str], str]) -> None:
    with run_server(tmp_path, "musicgpt", lambda app: app) as base_url:
        report = run_contract(Target("musicgpt", wrong(base_url), KEY), Budget(),
                              Options(examples=1))
    (wrong,) = found(report, "wrong_base_url")
    assert "/api/public" in wrong.expected and wrong.actual.startswith("404")
    others = [r for r in report.results if r.name != "base_url"]
    assert {r.name for r in others} == {"conformance", "job_lifecycle_audio_webhook",
                                        "idempotent_replay", "missing_key_and_error_shape"}
    for result in others:
        assert_skipped(result, "not run: wrong_base_url")
        assert result.calls == 0
    assert report.count("passed") == 0 and report.count("skipped") == len(others)


def test_a_closed_port_is_unreachable_and_runs_nothing_else() -> None:
    target = Target("musicgen", f"http://127.0.0.1:{free_port()}/api/v1", KEY)
    report = run_contract(target, Budget(), Options(examples=1))
    (down,) = found(report, "unreachable")
    assert "ConnectError" in down.actual
    for result in report.results[1:]:
        assert_skipped(result, "not run: unreachable")
    assert report.count("passed") == 0


def _rate_limit_everything(prefix: str, retry_after: int = 1) -> Wrap:
    """Every call under ``prefix`` answered 429, asking to retry after ``retry_after`` s."""
    body = json.dumps({"success": False, "error": "Too many requests"}).encode()
    return lambda app: Rewriter(app, prefix, lambda scope, status, raw: (429, body),
                                headers={"retry-after": str(retry_after)})


def test_a_provider_that_only_rate_limits_skips_every_property_and_fails_coverage(
        tmp_path: Path) -> None:
    started = time.monotonic()
    report = run_broken(tmp_path, "musicgpt", _rate_limit_everything("/api/public"), [
        "job_lifecycle_audio_webhook", "idempotent_replay", "missing_key_and_error_shape"])
    assert time.monotonic() - started < 20  # Retry-After is waited out on the mock's clock
    assert_skipped(check(report, "job_lifecycle_audio_webhook"),
                   "POST /v1/sound_generator: rate limited (429 after retries)")
    assert_skipped(check(report, "idempotent_replay"), "rate limited")
    assert_skipped(check(report, "missing_key_and_error_shape"),
                   "GET /v1/byId without a key: rate limited", "GET /v1/byId: rate limited")
    (coverage,) = found(report, "rate_limited")
    assert coverage.check == "coverage" and "kept 3 of 3 checks" in coverage.actual
    assert report.count("passed") == 0 and not report.ok


def test_conformance_against_a_provider_that_only_rate_limits_fails_as_rate_limited(
        tmp_path: Path) -> None:
    # schemathesis waits out each Retry-After on the wall clock: ask for no wait, to be fast
    report = run_broken(tmp_path, "musicgpt", _rate_limit_everything("/api/public", 0),
                        ["conformance"])
    limited = check(report, "conformance")
    assert limited.rate_limited == limited.calls > 0
    (violation,) = [v for v in found(report, "rate_limited") if v.check == "conformance"]
    assert "2 of 2 operations got nothing but 429" in violation.actual
    assert check(report, "coverage").status == "failed"


# -- checks that cannot run end skipped, with the reason: a refused submit, a spent budget ---

def _no_credit(provider: str) -> dict:
    return {"providers": {provider: {"balance": 0}}}


REFUSED: list[tuple[str, str, Wrap, dict | None, tuple[str, ...]]] = [
    # (provider, check, the upstream, its config, what the skip reason names)
    ("muzaic", "hashes_reproduce_audio", lambda app: app, _no_credit("muzaic"),
     ("POST /singleFile answered 402", "no source audio with a hash to reproduce")),
    ("musicgpt", "job_lifecycle_audio_webhook", lambda app: app, _no_credit("musicgpt"),
     ("POST /v1/sound_generator answered 402",)),
    ("soundpiece", "job_lifecycle_audio_webhook", lambda app: app, _no_credit("soundpiece"),
     ("PUT /v1/create.new_sample answered 402",)),
    # Music Gen AI documents no 402: its submit is refused with the documented 400 instead
    ("musicgen", "job_lifecycle_audio", _ask("/generate", lambda body: body.pop("prompt", None)),
     None, ("POST /generate answered 400",)),
]


@pytest.mark.parametrize(("provider", "check_name", "wrap", "config", "reasons"), REFUSED,
                         ids=[row[0] for row in REFUSED])
def test_a_submit_refused_on_every_example_is_skipped_not_passed(
        tmp_path: Path, provider: str, check_name: str, wrap: Wrap, config: dict | None,
        reasons: tuple[str, ...]) -> None:
    report = run_broken(tmp_path, provider, wrap, [check_name], config=config)
    result = check(report, check_name)
    assert_skipped(result, "could not run: ", *reasons)
    assert result.exercised == 0 and report.count("passed") == 0 and report.ok


@pytest.mark.parametrize(("limits", "check_name", "reason"), [
    ({"max_calls": 0}, "job_lifecycle_audio_webhook", "--max-calls 0 spent"),
    ({"seconds": 0}, "job_lifecycle_audio_webhook", "--budget-seconds 0 spent"),
    ({"seconds": 0}, "conformance", "--budget-seconds spent"),
], ids=["max_calls", "seconds", "conformance_seconds"])
def test_a_spent_budget_skips_the_check(tmp_path: Path, limits: dict[str, float],
                                        check_name: str, reason: str) -> None:
    budget = Budget(**limits)
    report = run_broken(tmp_path, "musicgpt", lambda app: app, [check_name], budget=budget)
    assert_skipped(check(report, check_name), reason)
    assert budget.calls == 0
