"""The summary when the proxy stops: the run as a contract report (one check per operation
the app called, failed when a violation showed on it), written as the contract suite writes
its own: to the terminal, and to JUnit XML and markdown files when asked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mockserver.contracts import report as reports
from mockserver.contracts.core import CheckResult, Report, Violation
from mockserver.proxy.upstream import UPSTREAM_FILE, UPSTREAM_PREFIX

if TYPE_CHECKING:
    from mockserver.proxy.app import ProxyState

TITLE = "Proxy report"


def operation_of(method: str, route: str | None, local_path: str) -> str:
    """The name a journal entry's operation goes by in reports."""
    if route:
        return f"{method} {route}"
    if local_path.startswith(UPSTREAM_PREFIX + "/"):
        return f"{method} {UPSTREAM_FILE}"
    return f"{method} {local_path}"


def proxy_report(state: ProxyState, seconds: float) -> Report:
    """Every operation seen (with its call count) and every violation, as a ``Report``."""
    provider = state.provider.name
    results: dict[str, CheckResult] = {}
    for row in state.store.all("SELECT method, route, local_path FROM journal ORDER BY id"):
        name = operation_of(row["method"], row["route"], row["local_path"] or "")
        results.setdefault(name, CheckResult(provider, name)).calls += 1
    for v in state.violations.list(limit=100_000):
        result = results.setdefault(v["operation"], CheckResult(provider, v["operation"]))
        request = v["request"]
        where = (f"journal {request['journal_id']}: " if request["journal_id"] is not None
                 else "") + f"{request['method']} {request['path']}"
        result.violations.append(Violation(v["name"], v["operation"], v["expected"], v["actual"],
                                           request["curl"], check=where))
    return Report(results=list(results.values()), seconds=seconds)


def summary_line(report: Report, upstream: str) -> str:
    """What the run did, in one line."""
    calls = sum(r.calls for r in report.results)
    return f"{calls} request(s) through the proxy to {upstream}"


@dataclass
class Summary:
    """Where the summary goes when the proxy stops."""

    echo: Callable[[str], object]
    junit: str | None = None
    markdown: str | None = None
    upstream: str = ""

    def write(self, report: Report) -> None:
        """Print the summary; write the JUnit and markdown files asked for."""
        line = summary_line(report, self.upstream)
        self.echo(reports.terminal(report, line))
        if self.junit:
            reports.junit(report, self.junit, name="mockserver proxy")
        if self.markdown:
            reports.markdown(report, self.markdown, title=TITLE, summary_line=line)
