"""Every failure path of the contract suite, exercised: each violation a check can report and
each way a check can end skipped, against a deliberately broken mock (``drift``), asserted by
the violation's name or the skip's reason. A report never crashes, and a skip is never a pass.

The drifts already proven in ``test_drift`` (field dropped from a poll, type changed, unknown
status, lifecycle backwards, undecodable FLAC, wrong length, webhook missing or badly signed,
idempotency) are not repeated here."""

from __future__ import annotations

import base64
import io
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import soundfile
from starlette.types import ASGIApp, Scope

from drift import (
    KEY,
    HangUp,
    RequestRewrite,
    Rewrite,
    Rewriter,
    Stall,
    TamperWebhooks,
    add_key,
    edit_json,
    edit_path,
    edit_query,
    json_rewrite,
    replace_audio,
    run_broken,
    run_server,
    status_rewrite,
    tone,
)
from mockserver.contracts.budget import Budget
from mockserver.contracts.core import CheckResult, Report, Target, Violation
from mockserver.contracts.runner import Options, run_contract
from mockserver.contracts.semantic.common import ETA_MARGIN
from mockserver.contracts.semantic.muzaic import inline_mp3
from mockserver.testing.servers import free_port

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


# -- the asynchronous providers: where their jobs are and how they look ----------------------

@dataclass(frozen=True)
class Jobs:
    """An asynchronous provider as the job-following tests see it."""

    provider: str
    check: str
    """The property that submits and follows a job."""
    submit: str
    """A path fragment of the submit."""
    poll: str
    """A path fragment of the poll."""
    job: Callable[[Any], Any]
    """The object that carries ``status`` in a poll answer."""
    running: str
    """A documented status that is not terminal."""
    unknown: RequestRewrite
    """A request rewrite that points the poll at a job that does not exist."""
    files: str
    """A path fragment of the audio files."""
    fmt: str
    """The audio format the provider promises (soundfile's name)."""


def _unknown_id(name: str, value: Callable[[], str]) -> RequestRewrite:
    """Query parameter ``name``, where there is one, becomes ``value()``."""
    return edit_query(lambda q: {**q, name: value()} if name in q else q)


def _sample(body: Any) -> Any:
    return body.get("sample") if isinstance(body, dict) else None


MUSICGPT = Jobs("musicgpt", "job_lifecycle_audio_webhook", "/sound_generator", "/byId",
                lambda b: b.get("conversion") if isinstance(b, dict) else None, "IN_PROGRESS",
                _unknown_id("task_id", lambda: str(uuid.uuid4())), "/_mock/files/", "MP3")
SOUNDPIECE = Jobs("soundpiece", "job_lifecycle_audio_webhook", "/v1/create.new_sample",
                  "/v1/create.new_sample", _sample, "processing",
                  _unknown_id("id", lambda: "op_" + "0" * 26),
                  "/_mock/files/", "FLAC")
MUSICGEN = Jobs("musicgen", "job_lifecycle_audio", "/generate", "/generate/",
                lambda b: b if isinstance(b, dict) else None, "processing",
                edit_path(lambda p: p.rsplit("/", 1)[0] + f"/{uuid.uuid4()}"),
                "/audio/", "WAV")
ASYNC = [MUSICGPT, SOUNDPIECE, MUSICGEN]


def on_job(jobs: Jobs, change: Callable[[dict], None]) -> Rewrite:
    """A response rewrite of the job in each 200 poll answer (``change`` edits it in place)."""
    def wrapped(data: Any, status: int) -> tuple[int, Any] | None:
        job = jobs.job(data) if status == 200 else None
        if not isinstance(job, dict):
            return None
        change(job)
        return status, data
    return json_rewrite(wrapped)


def _for(methods: set[str], rewrite: Rewrite) -> Rewrite:
    """``rewrite`` on answers to ``methods`` only (a submit and its poll may share a path)."""
    def some(scope: Scope, status: int, raw: bytes) -> tuple[int, bytes]:
        return rewrite(scope, status, raw) if scope["method"] in methods else (status, raw)
    return some


def on_poll(jobs: Jobs, rewrite: Rewrite) -> Wrap:
    """The mock with ``rewrite`` on the provider's poll answers."""
    return lambda app: Rewriter(app, jobs.poll, _for({"GET"}, rewrite))


def on_submit(jobs: Jobs, rewrite: Rewrite) -> Wrap:
    """The mock with ``rewrite`` on the provider's submit answers."""
    return lambda app: Rewriter(app, jobs.submit, _for({"POST", "PUT"}, rewrite))


def stuck(jobs: Jobs) -> Callable[[dict], None]:
    """A job that stays where it is: not terminal, no audio."""
    def change(job: dict) -> None:
        job["status"] = jobs.running
        job.pop("outputs", None)
        job.update({name: None for name in ("audio_url", "conversion_duration") if name in job})
    return change


# -- following a job (follow_job) -------------------------------------------------------------

@pytest.mark.parametrize("jobs", ASYNC, ids=lambda j: j.provider)
def test_an_unknown_status_fails_at_the_first_poll(tmp_path: Path, jobs: Jobs) -> None:
    polls: list[str] = []

    def unknown(job: dict) -> None:
        polls.append(job["status"])
        job["status"] = "PAUSED"
    report = run_broken(tmp_path, jobs.provider, on_poll(jobs, on_job(jobs, unknown)),
                        [jobs.check])
    found(report, "enum_violation")
    assert "webhook_missing" not in report.names()  # nothing waited for after the failure
    assert len(polls) == 1  # the property stopped following at the first unknown status
    assert check(report, jobs.check).calls <= 3  # the submit and one poll (an audio fetch)


@pytest.mark.parametrize("jobs", ASYNC, ids=lambda j: j.provider)
def test_a_job_that_never_finishes_fails_within_its_documented_bound(
        tmp_path: Path, jobs: Jobs) -> None:
    promised: list[Any] = []

    def note_eta(data: Any, status: int) -> None:
        promised.append(data.get("eta") if isinstance(data, dict) else None)

    def wrap(app: ASGIApp) -> ASGIApp:
        return on_poll(jobs, on_job(jobs, stuck(jobs)))(
            on_submit(jobs, json_rewrite(note_eta))(app))
    started = time.monotonic()
    report = run_broken(tmp_path, jobs.provider, wrap, [jobs.check], job_timeout=90)
    assert time.monotonic() - started < 20  # the mock's clock moved, not the wall clock
    (never,) = found(report, "job_never_completes")
    (eta,) = promised
    factor, margin = ETA_MARGIN
    if eta is None:
        bound = 90.0
        assert "within 90 s (no eta promised: --job-timeout 90 s)" in never.expected
    else:
        bound = eta * factor + margin
        assert (f"within {bound:g} s ({factor:g} x the promised eta of {eta:g} s"
                f" + {margin:g} s)") in never.expected
    waited = float(re.search(r"after (\d+) s", never.actual).group(1))
    assert bound <= waited <= bound + 1, never.actual


@pytest.mark.parametrize("jobs", ASYNC, ids=lambda j: j.provider)
def test_a_job_the_poll_does_not_know_is_lost(tmp_path: Path, jobs: Jobs) -> None:
    report = run_broken(tmp_path, jobs.provider,
                        lambda app: Rewriter(app, jobs.poll, request=jobs.unknown), [jobs.check])
    (lost,) = found(report, "job_lost")
    assert report.names() == {"job_lost"}  # a documented 404, reported once by its name
    assert lost.actual.startswith("404") and lost.curl.startswith("curl ")


def test_a_poll_that_is_only_rate_limited_leaves_the_check_skipped(tmp_path: Path) -> None:
    report = run_broken(tmp_path, "musicgpt", _rate_limit_everything("/byId"),
                        [MUSICGPT.check])
    assert_skipped(check(report, MUSICGPT.check), "GET /v1/byId: rate limited")


# -- the audio of a finished job (fetch_audio, check_audio) -----------------------------------

def _files(jobs: Jobs, rewrite: Rewrite, headers: dict[str, str] | None = None) -> Wrap:
    return lambda app: Rewriter(app, jobs.files, rewrite, headers=headers)


def _same(scope: Scope, status: int, raw: bytes) -> tuple[int, bytes]:
    return status, raw


def _no_audio_url(job: dict) -> None:
    for output in job.get("outputs") or []:
        output.pop("url", None)
    if "audio_url" in job:
        job["audio_url"] = None


_MEDIA = {"MP3": "audio/mpeg", "FLAC": "audio/flac", "WAV": "audio/wav"}
_OTHER = {"MP3": "WAV", "FLAC": "WAV", "WAV": "FLAC"}
AUDIO_DRIFTS: list[tuple[str, Callable[[Jobs], Wrap], Callable[[Jobs], str]]] = [
    # (violation, the broken upstream, text its ``expected`` has)
    ("audio_unavailable", lambda j: _files(j, lambda s, st, raw: (404, b'{"error": "gone"}')),
     lambda j: "200 with the audio file"),
    ("audio_wrong_format", lambda j: _files(j, _same, {"content-type": "application/zip"}),
     lambda j: f"Content-Type {_MEDIA[j.fmt]}"),
    ("audio_wrong_format", lambda j: _files(j, replace_audio(_OTHER[j.fmt])),
     lambda j: f"{j.fmt} audio"),
    ("field_dropped", lambda j: on_poll(j, on_job(j, _no_audio_url)),
     lambda j: "an audio URL on a finished job"),
]


@pytest.mark.parametrize("jobs", ASYNC, ids=lambda j: j.provider)
@pytest.mark.parametrize(("name", "wrap", "expected"), AUDIO_DRIFTS,
                         ids=["unavailable", "content_type", "decoded_format", "no_url"])
def test_audio_drift_is_named(tmp_path: Path, jobs: Jobs, name: str,
                              wrap: Callable[[Jobs], Wrap],
                              expected: Callable[[Jobs], str]) -> None:
    report = run_broken(tmp_path, jobs.provider, wrap(jobs), [jobs.check])
    assert [v for v in found(report, name) if expected(jobs) in v.expected], [
        v.describe() for v in report.violations]


def test_audio_at_another_sample_rate_is_named(tmp_path: Path) -> None:
    report = run_broken(tmp_path, "musicgen", _files(MUSICGEN, replace_audio("WAV", 16000)),
                        [MUSICGEN.check])
    (rate,) = found(report, "audio_wrong_rate")
    assert (rate.expected, rate.actual) == ("32000 Hz", "16000 Hz")


def _sample_outputs(change: Callable[[list[dict]], None]) -> Wrap:
    return on_poll(SOUNDPIECE, on_job(SOUNDPIECE, lambda job: change(job.get("outputs") or [])))


@pytest.mark.parametrize(("name", "wrap"), [
    ("outputs_count", _sample_outputs(lambda outputs: outputs.extend(outputs[:1]))),
    ("duration_mismatch", _sample_outputs(
        lambda outputs: [o.update(duration=o["duration"] + 1) for o in outputs])),
], ids=["outputs_count", "duration_mismatch"])
def test_soundpiece_outputs_drift_is_named(tmp_path: Path, name: str, wrap: Wrap) -> None:
    report = run_broken(tmp_path, "soundpiece", wrap, [SOUNDPIECE.check])
    assert found(report, name)[0].operation == "GET /v1/create.new_sample"


# -- keys, documented errors, webhook payloads, the transport ---------------------------------

PROVIDERS_ALL = ["muzaic", "musicgpt", "soundpiece", "musicgen"]


@pytest.mark.parametrize("provider", PROVIDERS_ALL)
def test_a_call_without_a_key_that_is_answered_is_named(tmp_path: Path, provider: str) -> None:
    report = run_broken(tmp_path, provider, lambda app: Rewriter(app, "/", request=add_key(
        provider)), ["missing_key_and_error_shape"])
    accepted = found(report, "missing_key_accepted")
    assert not accepted[0].actual.startswith(("401", "403"))
    assert "$API_KEY" not in accepted[0].curl  # the curl shows the call as sent: no key


@pytest.mark.parametrize(("provider", "match", "statuses"), [
    ("muzaic", "/audioFromHash", {404: 402}),
    ("musicgpt", "/byId", {404: 400}),
    ("soundpiece", "/v1/create.new_sample", {404: 422}),
    ("musicgen", "/generate/", {404: 401}),
])
def test_a_bad_request_refused_with_another_documented_status_is_named(
        tmp_path: Path, provider: str, match: str, statuses: dict[int, int]) -> None:
    report = run_broken(tmp_path, provider, lambda app: Rewriter(
        app, match, status_rewrite(statuses)), ["missing_key_and_error_shape"])
    changed = [v for v in found(report, "status_code_changed")
               if v.expected.endswith("for a bad request")]
    assert changed and changed[0].actual.startswith(tuple(map(str, statuses.values())))


def test_a_webhook_payload_that_departs_from_the_spec_is_named(tmp_path: Path) -> None:
    wrap = lambda app: TamperWebhooks(app, "/sound_generator", "webhook_url", lambda payload: {
        k: v for k, v in payload.items() if k != "title"})
    report = run_broken(tmp_path, "musicgpt", wrap, [MUSICGPT.check])
    dropped = [v for v in found(report, "field_dropped") if v.operation == "webhook"]
    assert dropped and "title" in dropped[0].expected + dropped[0].actual


@pytest.mark.parametrize(("provider", "match"), [
    ("musicgpt", "/sound_generator"), ("soundpiece", "/_mock/files/"), ("musicgen", "/generate/"),
])
def test_an_upstream_that_hangs_up_is_a_transport_error(tmp_path: Path, provider: str,
                                                       match: str) -> None:
    (jobs,) = [j for j in ASYNC if j.provider == provider]
    report = run_broken(tmp_path, provider, lambda app: HangUp(app, match), [jobs.check])
    (error,) = found(report, "transport_error")
    assert error.operation == jobs.check and "RemoteProtocolError" in error.actual
    assert check(report, jobs.check).status == "failed"


# -- Muzaic: what the documentation promises, heard on the decoded audio ----------------------

def _answer(match: str, change: Callable[[dict], None]) -> Wrap:
    """The mock with ``change`` applied to each 200 JSON answer of ``match``."""
    def changed(data: Any, status: int) -> tuple[int, Any] | None:
        if status != 200 or not isinstance(data, dict):
            return None
        change(data)
        return status, data
    return lambda app: Rewriter(app, match, json_rewrite(changed))


def _regions(action: str, instead: dict[str, Any]) -> Callable[[dict], None]:
    """A request change: every region with ``action`` becomes ``instead`` (same place)."""
    def change(body: dict) -> None:
        body["regions"] = [{"time": r["time"], "duration": r["duration"], **instead}
                           if r.get("action") == action else r for r in body.get("regions", [])]
    return change


def _tone_instead(rate: int) -> Callable[[dict], None]:
    """An answer change: the inline MP3 becomes a tone as long, at ``rate`` Hz."""
    def change(data: dict) -> None:
        seconds = soundfile.info(io.BytesIO(inline_mp3(data["mp3"]))).duration
        data["mp3"] = base64.b64encode(tone(seconds, rate, "WAV")).decode()
    return change


def _add(field: str, amount: float) -> Callable[[dict], None]:
    return lambda data: data.update({field: data[field] + amount})


MUZAIC_DRIFTS: list[tuple[str, str, Wrap, str]] = [
    # (violation, check, the broken upstream, text its ``expected`` has)
    ("duration_mismatch", "single_file_duration_and_audio",
     _answer("/singleFile", _add("audioDuration", 1)), "audioDuration"),
    ("cost_mismatch", "single_file_duration_and_audio",
     _answer("/singleFile", _add("tokensUsed", 1)), "one per second"),
    ("region_hashes", "soundtrack_region_hashes",
     _answer("/soundtrack", lambda d: d.update(regionHashes=d["regionHashes"][:-1])),
     "one region hash each"),
    ("audio_undecodable", "hashes_reproduce_audio",
     lambda app: Rewriter(app, "/result/", lambda s, st, raw: (st, b"ID3 no audio" * 40)),
     "a decodable MP3"),
    ("audio_from_hash_differs", "hashes_reproduce_audio",
     _answer("/audioFromHash", _tone_instead(44100)), "correlation >= 0.9"),
    ("audio_from_hash_differs", "hashes_reproduce_audio",
     _answer("/audioFromHash", _tone_instead(22050)), "at 44100 Hz"),
    ("copy_not_source", "hashes_reproduce_audio",
     _ask("/soundtrack", _regions("copy", {"action": "generate", "tags": [1],
                                           "params": {"tempo": 9}})),
     "correlation >= 0.9"),
    ("silence_not_silent", "hashes_reproduce_audio",
     _ask("/soundtrack", _regions("silence", {"action": "generate", "tags": [2]})), "silence"),
    ("param_not_audible", "params_are_audible",
     _ask("/singleFile", lambda body: body.pop("params", None)), "measures above"),
]


@pytest.mark.parametrize(("name", "check_name", "wrap", "expected"), MUZAIC_DRIFTS, ids=[
    "duration", "cost", "region_hashes", "undecodable", "from_hash_differs", "from_hash_rate",
    "copy", "silence", "params"])
def test_muzaic_drift_is_named(tmp_path: Path, name: str, check_name: str, wrap: Wrap,
                               expected: str) -> None:
    report = run_broken(tmp_path, "muzaic", wrap, [check_name])
    assert [v for v in found(report, name) if expected in v.expected], [
        v.describe() for v in report.violations]
    assert check(report, check_name).status == "failed"


# -- conformance: schemathesis that cannot run ---------------------------------------------

def _served_spec(spec: dict) -> Wrap:
    """The mock serving ``spec`` as its ``openapi.json`` (which conformance fuzzes)."""
    body = json.dumps(spec).encode()
    return lambda app: Rewriter(app, "/openapi.json", lambda s, status, raw: (200, body))


@pytest.mark.parametrize("spec", [
    {"openapi": "3.0.3", "info": 5},
    {"openapi": "3.0.3", "info": {"title": "nothing", "version": "1"}, "paths": {}},
], ids=["unloadable", "no_operations"])
def test_a_served_spec_schemathesis_cannot_fuzz_is_a_conformance_error(
        tmp_path: Path, spec: dict) -> None:
    report = run_broken(tmp_path, "musicgpt", _served_spec(spec), ["conformance"])
    (error,) = found(report, "conformance_error")
    assert error.check == "conformance" and error.actual
    assert check(report, "conformance").status == "failed"


def test_conformance_stopped_by_the_budget_before_any_answer_is_skipped(
        tmp_path: Path) -> None:
    # the provider never answers schemathesis: the budget stops it before any call returns
    started = time.monotonic()
    report = run_broken(tmp_path, "musicgpt", lambda app: Stall(app, b"schemathesis"),
                        ["conformance"], budget=Budget(seconds=3))
    assert time.monotonic() - started < 15
    result = check(report, "conformance")
    assert_skipped(result, "before schemathesis reported")
    assert "stopped by --budget-seconds" in result.notes
