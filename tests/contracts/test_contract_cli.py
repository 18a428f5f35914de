"""``mockserver contract`` as a user runs it: --dry-run calls nothing, a violation exits 1."""

from __future__ import annotations

from pathlib import Path

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
