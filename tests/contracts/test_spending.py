"""Before a run spends money: ``--dry-run`` puts a number on every paid call (fuzzing's counted
against the bundled mock, locally), and a remote ``--base-url`` without ``--max-calls`` asks
first (no terminal: it stops and asks for ``--yes``). Nothing here calls a remote host."""

from __future__ import annotations

import re

from click.testing import CliRunner

from mockserver.contracts.cli import contract


def test_dry_run_counts_fuzzings_paid_calls_against_the_bundled_mock() -> None:
    result = CliRunner().invoke(contract, [
        "musicgpt", "--dry-run", "--examples", "1", "--base-url", "http://127.0.0.1:9",
        "--api-key", "k"])
    assert result.exit_code == 0, result.output
    counted = re.search(r"POST /v1/sound_generator: (\d+) call\(s\) x at most ~2 = ~(\d+)"
                        r" credits", result.output)
    assert counted, result.output
    calls, credits = int(counted.group(1)), int(counted.group(2))
    assert calls > 0 and credits == 2 * calls  # each asks for at most 2 s: 2 credits
    total = re.search(r"in all: (\d+) paid call\(s\), at most ~(\d+) credits", result.output)
    assert total and int(total.group(1)) > calls and int(total.group(2)) > credits


def test_a_remote_run_without_a_call_cap_asks_before_spending() -> None:
    # CliRunner gives no terminal: the command must stop before any call, and say why
    result = CliRunner().invoke(contract, [
        "muzaic", "--base-url", "https://m10.muzaic.ai", "--api-key", "k", "--examples", "1"])
    assert result.exit_code == 2, result.output
    assert "pass --yes" in result.output and "--max-calls" in result.output
    assert "POST /singleFile" in result.output  # the plan it would spend on
