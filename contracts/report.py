"""Reports: the terminal text, JUnit XML (xml.etree) and markdown a person can read."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from .core import Report


def terminal(report: Report) -> str:
    """One line per check, then every violation with its curl line."""
    lines = []
    for r in report.results:
        state = "SKIP" if r.skipped and not r.violations else ("ok" if r.passed else "FAIL")
        extra = f"  ({r.skipped})" if r.skipped else ""
        lines.append(f"{state:<4} {r.provider:<11} {r.name:<34} {r.calls:>4} calls"
                     f" {r.seconds:6.1f} s{extra}")
    for v in report.violations:
        lines.append("")
        lines.append(v.describe())
    lines.append("")
    verdict = "no violations" if report.ok else f"{len(report.violations)} violation(s): " + \
        ", ".join(sorted(report.names()))
    lines.append(f"{verdict}; {report.generation_calls} generation call(s), cost "
                 + ", ".join(f"{p} {c:g}" for p, c in report.cost.items())
                 + f"; {report.seconds:.1f} s")
    return "\n".join(lines)


def junit(report: Report, path: str | Path) -> None:
    """A JUnit XML file: one testsuite per provider, one testcase per check."""
    root = ET.Element("testsuites", name="mockserver contract", time=f"{report.seconds:.3f}")
    for provider in dict.fromkeys(r.provider for r in report.results):
        results = [r for r in report.results if r.provider == provider]
        suite = ET.SubElement(root, "testsuite", name=provider, tests=str(len(results)),
                              failures=str(sum(not r.passed for r in results)),
                              skipped=str(sum(bool(r.skipped) and r.passed for r in results)),
                              time=f"{sum(r.seconds for r in results):.3f}")
        for r in results:
            case = ET.SubElement(suite, "testcase", classname=f"contract.{provider}",
                                 name=r.name, time=f"{r.seconds:.3f}")
            for v in r.violations:
                failure = ET.SubElement(case, "failure", message=f"{v.name}: {v.operation}",
                                        type=v.name)
                failure.text = (f"expected: {v.expected}\nactual: {v.actual}\n"
                                f"reproduce: {v.curl}")
            if r.skipped and r.passed:
                ET.SubElement(case, "skipped", message=r.skipped)
            if r.notes:
                ET.SubElement(case, "system-out").text = "\n".join(r.notes)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def markdown(report: Report, path: str | Path) -> None:
    """A markdown report: verdict, a table of checks, then each violation in detail."""
    verdict = "**All contracts hold.**" if report.ok else \
        f"**{len(report.violations)} violation(s)**: " + ", ".join(
            f"`{n}`" for n in sorted(report.names()))
    out = ["# Contract report", "", verdict, "",
           f"{report.generation_calls} generation call(s); estimated cost: "
           + ", ".join(f"{p} {c:g}" for p, c in report.cost.items())
           + f"; {report.seconds:.1f} s.", "",
           "| provider | check | result | calls | seconds | notes |", "|---|---|---|---|---|---|"]
    for r in report.results:
        state = "skipped" if r.skipped and r.passed else ("pass" if r.passed else
                                                           f"**{len(r.violations)} failed**")
        notes = "; ".join([*([r.skipped] if r.skipped else []), *r.notes]).replace("|", "\\|")
        out.append(f"| {r.provider} | {r.name} | {state} | {r.calls} | {r.seconds:.1f} |"
                   f" {notes} |")
    for i, v in enumerate(report.violations, 1):
        out += ["", f"## {i}. `{v.name}` in {v.operation}", "",
                f"- check: {v.check}", f"- expected: {v.expected}", f"- actual: {v.actual}"]
        if v.curl:
            out += ["", "```sh", v.curl, "```"]
    Path(path).write_text("\n".join(out) + "\n", encoding="utf-8")
