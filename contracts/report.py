"""Reports: the terminal text, JUnit XML (xml.etree) and markdown a person can read."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from .budget import UNITS
from .core import CheckResult, Report

_STATE = {"passed": "ok", "failed": "FAIL", "skipped": "SKIP"}


def terminal(report: Report, summary_line: str | None = None) -> str:
    """One line per check, then every violation with its curl line, then the counts
    (``summary_line`` instead of the contract run's summary, for the proxy's report)."""
    lines = []
    for r in report.results:
        limited = f", {r.rate_limited} x 429" if r.rate_limited else ""
        extra = f"  ({r.skipped})" if r.skipped else ""
        lines.append(f"{_STATE[r.status]:<4} {r.provider:<11} {r.name:<34} {r.calls:>4} calls"
                     f"{limited} {r.seconds:6.1f} s{extra}")
    for v in report.violations:
        lines.append("")
        lines.append(v.describe())
    lines.append("")
    lines += [summary(report) if summary_line is None else summary_line, verdict(report)]
    return "\n".join(lines)


def verdict(report: Report) -> str:
    """The last line: the outcome in words, with the count of each."""
    counts = ", ".join(f"{report.count(s)} {s}" for s in ("passed", "failed", "skipped"))
    if report.violations:
        head = f"{len(report.violations)} violation(s): " + ", ".join(sorted(report.names()))
    elif not report.ok:
        head = "skipped checks fail a --strict run"
    else:
        head = "no violations"
    return f"{head}; checks: {counts}; {report.seconds:.1f} s"


def summary(report: Report) -> str:
    """What the run did: conformance calls (429s apart), generation calls and their cost."""
    conformance = [r for r in report.results if r.name == "conformance"]
    calls = sum(r.calls - r.rate_limited for r in conformance)
    limited = sum(r.rate_limited for r in report.results)
    cost = ", ".join(f"{p} {c:g} {UNITS[p][0]}" for p, c in report.cost.items())
    return (f"{calls} conformance call(s); {limited} answered 429 (waited out, not counted);"
            f" {report.generation_calls} generation call(s), estimated cost at most: {cost or 'none'}"
            " (fuzzing's counted with every length at its cap)")


def junit(report: Report, path: str | Path, name: str = "mockserver contract") -> None:
    """A JUnit XML file: one testsuite per provider, one testcase per check."""
    root = ET.Element("testsuites", name=name, time=f"{report.seconds:.3f}")
    for provider in dict.fromkeys(r.provider for r in report.results):
        results = [r for r in report.results if r.provider == provider]
        suite = ET.SubElement(root, "testsuite", name=provider, tests=str(len(results)),
                              failures=str(sum(_fails(report, r) for r in results)),
                              skipped=str(sum(not _fails(report, r) and r.status == "skipped"
                                              for r in results)),
                              time=f"{sum(r.seconds for r in results):.3f}")
        for r in results:
            case = ET.SubElement(suite, "testcase", classname=f"contract.{provider}",
                                 name=r.name, time=f"{r.seconds:.3f}")
            for v in r.violations:
                failure = ET.SubElement(case, "failure", message=f"{v.name}: {v.operation}",
                                        type=v.name)
                failure.text = (f"expected: {v.expected}\nactual: {v.actual}\n"
                                f"reproduce: {v.curl}")
            if r.status == "skipped" and report.strict:  # CI reads JUnit: it fails there too
                ET.SubElement(case, "failure", message=f"skipped under --strict: {r.skipped}",
                              type="skipped")
            elif r.status == "skipped":
                ET.SubElement(case, "skipped", message=r.skipped)
            if r.notes:
                ET.SubElement(case, "system-out").text = "\n".join(r.notes)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _fails(report: Report, result: CheckResult) -> bool:
    return result.status == "failed" or (report.strict and result.status == "skipped")


def markdown(report: Report, path: str | Path, title: str = "Contract report",
             summary_line: str | None = None) -> None:
    """A markdown report: verdict, a table of checks, then each violation in detail
    (``title`` and ``summary_line`` name another kind of run, such as the proxy's)."""
    skipped = report.count("skipped")
    head = ("**All contracts hold.**" if not skipped else
            f"**No violations; {skipped} check(s) skipped.**") if report.ok else (
        f"**{len(report.violations)} violation(s)**: " + ", ".join(
            f"`{n}`" for n in sorted(report.names())) if report.violations
        else "**Skipped checks fail this --strict run.**")
    line = summary(report) if summary_line is None else summary_line
    out = [f"# {title}", "", head, "", verdict(report) + ".", "", line + ".",
           "", "| provider | check | result | calls | 429s | seconds | notes |",
           "|---|---|---|---|---|---|---|"]
    for r in report.results:
        state = {"skipped": "skipped", "passed": "pass"}.get(
            r.status, f"**{len(r.violations)} failed**")
        notes = "; ".join([*([r.skipped] if r.skipped else []), *r.notes]).replace("|", "\\|")
        out.append(f"| {r.provider} | {r.name} | {state} | {r.calls} | {r.rate_limited} |"
                   f" {r.seconds:.1f} | {notes} |")
    for i, v in enumerate(report.violations, 1):
        out += ["", f"## {i}. `{v.name}` in {v.operation}", "",
                f"- check: {v.check}", f"- expected: {v.expected}", f"- actual: {v.actual}"]
        if v.curl:
            out += ["", "```sh", v.curl, "```"]
    Path(path).write_text("\n".join(out) + "\n", encoding="utf-8")
