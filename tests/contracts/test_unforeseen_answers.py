"""Answers no check foresaw are reported, never a crash; a quota that asks for an hour is not
retried; a 429 schemathesis met is no conformance finding; a name that is no check is a usage
error; under --strict the JUnit file fails a skip as the exit status does."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from drift import Rewriter, json_rewrite, run_broken, status_rewrite
from mockserver.contracts.cli import contract
from mockserver.contracts.core import CheckResult, Report
from mockserver.contracts.report import junit
from mockserver.contracts.st_failures import parse_junit

LIFE = ["job_lifecycle_audio_webhook"]


def _conversion(value: object):
    def change(data, status):
        if status == 200 and isinstance(data, dict) and "conversion" in data:
            return status, {**data, "conversion": value}
        return None
    return change


@pytest.mark.parametrize("conversion", ["finished", ["COMPLETED"], {"status": ["COMPLETED"]}])
def test_a_poll_answer_of_another_shape_is_reported_not_a_crash(
        tmp_path: Path, conversion: object) -> None:
    wrap = lambda app: Rewriter(app, "/byId", json_rewrite(_conversion(conversion)))
    report = run_broken(tmp_path, "musicgpt", wrap, LIFE)
    assert report.results and {"enum_violation"} <= report.names(), report.names()
    assert "check_error" not in report.names()


def test_a_non_json_poll_answer_is_reported_not_a_crash(tmp_path: Path) -> None:
    wrap = lambda app: Rewriter(app, "/byId", lambda scope, status, raw: (status, b"<html>"))
    report = run_broken(tmp_path, "musicgpt", wrap, LIFE)
    assert "enum_violation" in report.names() and "check_error" not in report.names()


def test_a_429_asking_for_an_hour_is_not_retried(tmp_path: Path) -> None:
    wrap = lambda app: Rewriter(app, "/sound_generator", status_rewrite({200: 429}),
                                headers={"Retry-After": "3600"})
    report = run_broken(tmp_path, "musicgpt", wrap, ["idempotent_replay"])
    (result,) = [r for r in report.results if r.name == "idempotent_replay"]
    assert result.status == "skipped" and "rate limited" in result.skipped
    assert result.rate_limited == result.calls  # each call once: no retry after a 429


def test_a_429_schemathesis_met_is_no_conformance_finding(tmp_path: Path) -> None:
    text = ("1. Test Case ID: abc\n\n- Undocumented status code\n\n    Received: 429\n\n"
            "[429] Too Many Requests:\n\n    `{}`\n\nReproduce with:\n\n    curl -X GET http://x\n")
    suites = ET.Element("testsuites")
    case = ET.SubElement(ET.SubElement(suites, "testsuite"), "testcase", name="GET /getTags")
    ET.SubElement(case, "failure").text = text
    ET.ElementTree(suites).write(tmp_path / "j.xml")
    assert parse_junit(tmp_path / "j.xml", "conformance") == []
    ET.SubElement(case, "failure").text = text.replace("429", "418")
    ET.ElementTree(suites).write(tmp_path / "j.xml")
    assert [v.name for v in parse_junit(tmp_path / "j.xml", "conformance")] == [
        "status_code_changed"]


def test_a_check_name_that_is_no_check_is_a_usage_error() -> None:
    result = CliRunner().invoke(contract, ["musicgen", "--check", "job_lifecyle", "--dry-run"])
    assert result.exit_code == 2
    assert "no check named job_lifecyle" in result.output and "job_lifecycle_audio" in result.output


def test_under_strict_the_junit_file_fails_a_skip(tmp_path: Path) -> None:
    skipped = CheckResult("muzaic", "conformance", skipped="--budget-seconds spent")
    for strict, failures in ((False, 0), (True, 1)):
        junit(Report([skipped], strict=strict), tmp_path / "r.xml")
        root = ET.parse(tmp_path / "r.xml").getroot()
        assert len(list(root.iter("failure"))) == failures
        assert len(list(root.iter("skipped"))) == 1 - failures
    assert not Report([]).ok  # nothing ran: not a pass either
