"""schemathesis' failure texts parsed and named (the text as schemathesis 4 writes it)."""

from __future__ import annotations

from pathlib import Path

from mockserver.contracts.st_failures import parse_failures, parse_junit

TWO_CASES = """1. Test Case ID: evYkzY

- ST103 Undocumented status code

    Received: 201
    Documented: 200, 401, 402, 409, 422, 429, 500

- ST108 Response violates schema

    '5' is not of type 'integer'

    Schema at /properties/eta:

        {"type": "integer"}

[201] Created:

    `{"success": true, "eta": "5"}`

Reproduce with:

    curl -X POST -H 'Authorization: [Filtered]' http://127.0.0.1:1/v1/sound_generator

2. Test Case ID: Ob5DnJ

- ST112 Response time limit exceeded

    Actual: 11499.88ms
    Limit: 10000.00ms

[200] OK:

    <BINARY>

Reproduce with:

    curl -X GET http://127.0.0.1:1/audio/x.wav
"""


def test_each_failure_of_each_case_is_named_with_its_own_curl() -> None:
    found = parse_failures(TWO_CASES)
    assert [(f.code, f.name, f.status) for f in found] == [
        ("ST103", "status_code_changed", 201), ("ST108", "type_changed", 201),
        ("ST112", "response_too_slow", 200)]
    assert found[0].curl.endswith("/v1/sound_generator")
    assert found[2].curl == "curl -X GET http://127.0.0.1:1/audio/x.wav"
    assert "Received: 201" in found[0].details and "Test Case ID" not in found[0].details


def test_schema_failures_are_named_by_what_broke() -> None:
    def name(message: str, status: int = 200) -> str:
        text = f"1. Test Case ID: a\n\n- ST108 Response violates schema\n\n    {message}\n\n[{status}] X:\n"
        return parse_failures(text)[0].name
    assert name("'status_msg' is a required property") == "field_dropped"
    assert name("'DONE' is not one of ['COMPLETED', 'FAILED']") == "enum_violation"
    assert name("'5' is not of type 'integer'") == "type_changed"
    assert name("'detail' is a required property", 422) == "error_shape"


def test_titles_without_codes_and_unknown_titles() -> None:
    text = "1. Test Case ID: a\n\n- Undocumented status code\n\n- Something new\n\n[500] E:\n"
    assert [f.name for f in parse_failures(text)] == [
        "status_code_changed", "conformance_something_new"]


def test_junit_file_becomes_violations_per_name_and_operation(tmp_path: Path) -> None:
    from xml.sax.saxutils import escape
    path = tmp_path / "junit.xml"
    path.write_text(f"""<?xml version="1.0"?><testsuites><testsuite name="schemathesis">
      <testcase name="POST /v1/sound_generator"><failure message="ST103">{escape(TWO_CASES)}</failure></testcase>
      <testcase name="GET /v1/byId"/></testsuite></testsuites>""")
    violations = parse_junit(path, "conformance")
    assert sorted(v.name for v in violations) == [
        "response_too_slow", "status_code_changed", "type_changed"]
    assert all(v.operation == "POST /v1/sound_generator" and v.curl for v in violations)


def test_the_summary_is_schemathesis_own_count_of_test_cases() -> None:
    from mockserver.contracts.conformance import _summary
    passed = "Test cases:\n  98 generated, 98 passed, 4 skipped\n\nReports:\n"
    failed = "Test cases:\n  12 generated, 1 found 2 unique failures\n"
    assert _summary(passed) == "schemathesis: 98 generated, 98 passed, 4 skipped"
    assert _summary(failed) == "schemathesis: 12 generated, 1 found 2 unique failures"
    assert _summary("no summary here") == "schemathesis: (no summary)"
