"""Drift proof: each deliberately broken upstream is reported by the violation's name."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from drift import ChargeReplays, Rewriter, drop_form_field, drop_header, json_rewrite, run_broken

LIFE = ["job_lifecycle_audio_webhook"]


def _conversion(change):
    def wrapped(data, status):
        conversion = data.get("conversion") if isinstance(data, dict) else None
        if status != 200 or not isinstance(conversion, dict):
            return None
        change(conversion)
        return status, data
    return wrapped


def _submit_answer(change):
    def wrapped(data, status):
        if status != 200 or not isinstance(data, dict) or "task_id" not in data:
            return None
        return change(status, data)
    return wrapped


def test_field_dropped(tmp_path: Path) -> None:
    wrap = lambda app: Rewriter(app, "/byId", json_rewrite(_conversion(
        lambda c: c.pop("status_msg", None))))
    assert "field_dropped" in run_broken(tmp_path, "musicgpt", wrap, LIFE).names()


def test_type_changed(tmp_path: Path) -> None:
    wrap = lambda app: Rewriter(app, "/sound_generator", json_rewrite(_submit_answer(
        lambda s, d: (s, {**d, "eta": str(d["eta"])}))))
    assert "type_changed" in run_broken(tmp_path, "musicgpt", wrap, LIFE).names()


def test_enum_violation(tmp_path: Path) -> None:
    def rename(c):
        if c.get("status") == "COMPLETED":
            c["status"] = "DONE"
    wrap = lambda app: Rewriter(app, "/byId", json_rewrite(_conversion(rename)))
    assert "enum_violation" in run_broken(tmp_path, "musicgpt", wrap, LIFE).names()


def test_status_code_changed(tmp_path: Path) -> None:
    wrap = lambda app: Rewriter(app, "/sound_generator", json_rewrite(_submit_answer(
        lambda s, d: (201, d))))
    assert "status_code_changed" in run_broken(tmp_path, "musicgpt", wrap, LIFE).names()


def test_error_shape(tmp_path: Path) -> None:
    def other_shape(data, status):
        return (status, {"message": "nope"}) if status >= 400 else None
    wrap = lambda app: Rewriter(app, "/byId", json_rewrite(other_shape))
    names = run_broken(tmp_path, "musicgpt", wrap, ["missing_key_and_error_shape"]).names()
    assert "error_shape" in names


def test_lifecycle_backwards(tmp_path: Path) -> None:
    seen: Counter[str] = Counter()

    def regress(c):
        if c.get("status") == "COMPLETED":
            seen[c["task_id"]] += 1
            if seen[c["task_id"]] > 1:  # completed once, then back in progress
                c["status"] = "IN_PROGRESS"
    wrap = lambda app: Rewriter(app, "/byId", json_rewrite(_conversion(regress)))
    assert "lifecycle_backwards" in run_broken(tmp_path, "musicgpt", wrap, LIFE).names()


def test_job_never_completes(tmp_path: Path) -> None:
    def stuck(c):
        c["status"], c["audio_url"], c["conversion_duration"] = "IN_PROGRESS", None, None
    wrap = lambda app: Rewriter(app, "/byId", json_rewrite(_conversion(stuck)))
    assert "job_never_completes" in run_broken(tmp_path, "musicgpt", wrap, LIFE).names()


def test_audio_undecodable(tmp_path: Path) -> None:
    wrap = lambda app: Rewriter(app, "/_mock/files/", lambda scope, status, body: (
        status, b"ID3 this is not audio" * 50))
    assert "audio_undecodable" in run_broken(tmp_path, "soundpiece", wrap, LIFE).names()


def test_audio_wrong_length(tmp_path: Path) -> None:
    def longer(c):
        if c.get("conversion_duration"):
            c["conversion_duration"] += 5
    wrap = lambda app: Rewriter(app, "/byId", json_rewrite(_conversion(longer)))
    assert "audio_wrong_length" in run_broken(tmp_path, "musicgpt", wrap, LIFE).names()


def test_webhook_missing(tmp_path: Path) -> None:
    wrap = lambda app: Rewriter(app, "/sound_generator", request=drop_form_field("webhook_url"))
    report = run_broken(tmp_path, "musicgpt", wrap, LIFE, webhook_timeout=1.0)
    assert "webhook_missing" in report.names()


def test_webhook_bad_signature(tmp_path: Path) -> None:
    config = {"providers": {"soundpiece": {"webhook_secrets": {
        "drift-key": "whsec_" + "d3JvbmctbW9jay1zZWNyZXQtZm9yLWRyaWZ0LXRlc3Q="}}}}
    report = run_broken(tmp_path, "soundpiece", lambda app: app, LIFE, config=config)
    assert "webhook_bad_signature" in report.names()


def test_idempotency_new_work(tmp_path: Path) -> None:
    wrap = lambda app: Rewriter(app, "/sound_generator", request=drop_header(b"idempotency-key"))
    assert "idempotency_new_work" in run_broken(
        tmp_path, "musicgpt", wrap, ["idempotent_replay"]).names()


def test_idempotent_replay_that_charges_again(tmp_path: Path) -> None:
    wrap = lambda app: ChargeReplays(app, "musicgpt", b"idempotency-key")
    report = run_broken(tmp_path, "musicgpt", wrap, ["idempotent_replay"])
    found = [v for v in report.violations if v.name == "idempotency_new_work"]
    assert found and "charged 7 more units" in found[0].actual


def test_each_violation_carries_a_curl_line(tmp_path: Path) -> None:
    wrap = lambda app: Rewriter(app, "/sound_generator", json_rewrite(_submit_answer(
        lambda s, d: (201, d))))
    report = run_broken(tmp_path, "musicgpt", wrap, LIFE)
    found = [v for v in report.violations if v.name == "status_code_changed"]
    assert found and found[0].curl.startswith("curl ") and "$API_KEY" in found[0].curl
    assert "201" in found[0].actual and "200" in found[0].expected


# The same kinds caught by the conformance check: schemathesis' own failures, named alike.

def _operation(change):
    """Change the Soundpiece operation in a 200 answer (``{"<kind>": {operation}}``)."""
    def wrapped(data, status):
        inner = [v for v in data.values() if isinstance(v, dict) and "status" in v] if (
            status == 200 and isinstance(data, dict)) else []
        if not inner:
            return None
        change(inner[0])
        return status, data
    return wrapped


CONFORMANCE_DRIFTS = {
    "field_dropped": ("soundpiece", "/v1/create.", _operation(lambda d: d.pop("created_at"))),
    "enum_violation": ("soundpiece", "/v1/create.", _operation(
        lambda d: d.update(status="finished"))),
    "type_changed": ("musicgpt", "/sound_generator", _submit_answer(
        lambda s, d: (s, {**d, "eta": str(d["eta"])}))),
    "status_code_changed": ("musicgpt", "/sound_generator", _submit_answer(
        lambda s, d: (201, d))),
    "error_shape": ("musicgpt", "/v1/", lambda d, s: (s, {"message": "nope"}) if s >= 400
                    else None),
}


@pytest.mark.parametrize("kind", list(CONFORMANCE_DRIFTS))
def test_conformance_names_the_drift(tmp_path: Path, kind: str) -> None:
    provider, match, change = CONFORMANCE_DRIFTS[kind]
    wrap = lambda app: Rewriter(app, match, json_rewrite(change))
    report = run_broken(tmp_path, provider, wrap, ["conformance"], examples=1)
    found = [v for v in report.violations if v.name == kind]
    assert found, [v.describe() for v in report.violations]
    assert found[0].check == "conformance" and found[0].curl.startswith("curl ")
