"""schemathesis' JUnit failures as named violations: one parser, one table of names."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from .core import Violation, short

# schemathesis' failure codes (`schemathesis explain STxxx`) and the violation each one is.
# Response-schema failures (ST108) are named by what broke: see ``_schema_violation``.
CODE_NAMES = {
    "ST101": "server_error",
    "ST102": "server_error",
    "ST103": "status_code_changed",
    "ST104": "content_type_changed",
    "ST105": "content_type_changed",
    "ST106": "content_type_changed",
    "ST107": "header_dropped",
    "ST109": "body_undecodable",
    "ST110": "body_undecodable",
    "ST111": "enum_violation",
    "ST112": "response_too_slow",
    "ST201": "invalid_request_accepted",
    "ST202": "valid_request_rejected",
    "ST203": "missing_header_accepted",
    "ST204": "undeclared_method_answered",
    "ST205": "allow_header_wrong",
    "ST301": "deleted_resource_served",
    "ST302": "created_resource_missing",
    "ST401": "missing_key_accepted",
    "ST402": "other_users_object_served",
}
# The same by title, for schemathesis versions that print no code.
TITLE_NAMES = {
    "server error": "server_error",
    "undocumented status code": "status_code_changed",
    "undocumented http status code": "status_code_changed",
    "missing content-type header": "content_type_changed",
    "undocumented content-type": "content_type_changed",
    "malformed media type": "content_type_changed",
    "missing required response headers": "header_dropped",
    "json deserialization error": "body_undecodable",
    "content deserialization error": "body_undecodable",
    "unknown discriminator value": "enum_violation",
    "response time limit exceeded": "response_too_slow",
    "schema-violating request accepted": "invalid_request_accepted",
    "api rejected schema-compliant request": "valid_request_rejected",
    "schema-valid request rejected": "valid_request_rejected",
    "missing header not rejected": "missing_header_accepted",
    "unsupported methods": "undeclared_method_answered",
    "deleted resource still available": "deleted_resource_served",
    "created resource not found": "created_resource_missing",
    "authentication declared but not enforced": "missing_key_accepted",
}

_CASE = re.compile(r"^\s*\d+\.\s+Test Case ID:\s*\S+\s*$", re.M)
_FAILURE = re.compile(r"^- (?:(ST\d{3})\s+)?(\S.*)$", re.M)
_RESPONSE = re.compile(r"^\[(\d{3})\]", re.M)


@dataclass(frozen=True)
class Failure:
    """One failed check of one test case, as schemathesis reported it."""

    code: str
    title: str
    details: str
    status: int | None
    curl: str

    @property
    def name(self) -> str:
        """The violation's name (see ``CODE_NAMES``)."""
        if self.code == "ST108" or self.title.lower() == "response violates schema":
            return _schema_violation(self.details, self.status)
        return (CODE_NAMES.get(self.code) or TITLE_NAMES.get(self.title.lower())
                or "conformance_" + "_".join(re.sub(r"[^a-z0-9]+", " ",
                                                    self.title.lower()).split())[:60])


def _schema_violation(details: str, status: int | None) -> str:
    """A response body its schema rejects, named by the broken keyword."""
    if status is not None and status >= 400:
        return "error_shape"
    lowered = details.lower()
    if "is a required property" in lowered:
        return "field_dropped"
    if "is not one of" in lowered or "is not a valid" in lowered and "enum" in lowered:
        return "enum_violation"
    if "is not of type" in lowered or "is not valid under any" in lowered:
        return "type_changed"
    return "schema_violation"


def parse_failures(text: str) -> list[Failure]:
    """Every failed check in one JUnit ``<failure>`` text (one or more test cases)."""
    cases = [c for c in _CASE.split(text) if c.strip()] or [text]
    found = []
    for case in cases:
        status_match = _RESPONSE.search(case)
        status = int(status_match.group(1)) if status_match else None
        curl = _curl_in(case)
        end = status_match.start() if status_match else len(case)
        heads = list(_FAILURE.finditer(case, 0, end))
        for i, head in enumerate(heads):
            stop = heads[i + 1].start() if i + 1 < len(heads) else end
            details = case[head.end():stop].strip()
            found.append(Failure(head.group(1) or "", head.group(2).strip(), details, status,
                                 curl))
        if not heads and case.strip():
            title = case.strip().splitlines()[0]
            found.append(Failure("", title, case.strip(), status, curl))
    return found


def _curl_in(text: str) -> str:
    for line in text.splitlines():
        if line.strip().startswith("curl "):
            return line.strip()
    return ""


def parse_junit(path: Path, check: str) -> list[Violation]:
    """schemathesis' JUnit failures as violations (one per name and operation)."""
    if not path.exists():
        return []
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return []  # schemathesis was stopped (--budget-seconds) before it wrote its report
    found: dict[tuple[str, str], Violation] = {}
    for case in root.iter("testcase"):
        operation = case.get("name", "")
        for failure in [*case.iter("failure"), *case.iter("error")]:
            text = failure.text or failure.get("message") or ""
            for item in parse_failures(text):
                if item.status == 429:
                    continue  # a rate limit says nothing about the contract: counted apart
                title = f"{item.code} {item.title}".strip()
                actual = f"[{item.status}] " if item.status else ""
                found.setdefault((item.name, operation), Violation(
                    item.name, operation, f"schemathesis check passes: {title}",
                    short(actual + item.details, 400), item.curl, check))
    return list(found.values())
