"""``mockserver contract`` as a user runs it: --dry-run calls nothing, a violation exits 1,
a skipped check exits 0 unless --strict."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from drift import KEY, Rewriter, json_rewrite, run_server
from mockserver.contracts.cli import contract


def test_dry_run_lists_calls_and_cost_and_calls_nothing() -> None:
    # nothing listens on port 9 (discard): a real call would fail the run
    result = CliRunner().invoke(contract, [
        "musicgpt", "--dry-run", "--max-calls", "2", "--base-url", "http://127.0.0.1:9",
        "--api-key", "k"])
    assert result.exit_code == 0, result.output
    assert "musicgpt: cost unit credits" in result.output
    assert "job_lifecycle_audio_webhook: POST /v1/sound_generator  ~3 credits" in result.output
    assert "paid ones excluded under --max-calls" in result.output
    assert "--max-calls 2 stops after 2" in result.output


def test_a_violation_exits_non_zero_with_expected_actual_and_curl(tmp_path: Path) -> None:
    def other_shape(data, status):
        return (status, {"message": "nope"}) if status >= 400 else None
    wrap = lambda app: Rewriter(app, "/byId", json_rewrite(other_shape))
    with run_server(tmp_path, "musicgpt", wrap) as base_url:
        result = CliRunner().invoke(contract, [
            "musicgpt", "--base-url", base_url, "--api-key", KEY,
            "--check", "missing_key_and_error_shape", "--markdown", str(tmp_path / "r.md")])
    assert result.exit_code == 1, result.output
    assert "[error_shape] GET /v1/byId" in result.output
    assert "expected:" in result.output and "actual:" in result.output
    assert "reproduce: curl " in result.output
    assert "`error_shape`" in (tmp_path / "r.md").read_text()


@pytest.mark.parametrize(("flags", "code", "verdict"), [
    ([], 0, "no violations"),
    (["--strict"], 1, "skipped checks fail a --strict run"),
], ids=["default", "strict"])
def test_a_skipped_check_fails_the_run_only_when_strict(tmp_path: Path, flags: list[str],
                                                        code: int, verdict: str) -> None:
    no_credit = {"providers": {"musicgpt": {"balance": 0}}}  # every submit: documented 402
    with run_server(tmp_path, "musicgpt", lambda app: app, no_credit) as base_url:
        result = CliRunner().invoke(contract, [
            "musicgpt", "--base-url", base_url, "--api-key", KEY, "--examples", "1",
            "--check", "job_lifecycle_audio_webhook", "--check", "missing_key_and_error_shape",
            *flags])
    assert result.exit_code == code, result.output
    lines = result.output.splitlines()
    (skipped,) = [line for line in lines if "job_lifecycle_audio_webhook" in line
                  and line.startswith("SKIP")]
    assert "(could not run: POST /v1/sound_generator answered 402)" in skipped
    assert [line for line in lines if line.startswith("ok ") and "missing_key" in line]
    assert f"{verdict}; checks: 1 passed, 0 failed, 1 skipped;" in result.output
