"""``mockserver contract``: run the contract suite against the bundled mock or a real base URL."""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor

import click

from .budget import UNITS, Budget, cost_of
from .caps import CAP_SECONDS
from .conformance import run_conformance
from .core import Report, Target
from .pacing import Rate
from .progress import Progress
from .providers import PROVIDERS
from .report import junit, markdown, terminal
from .runner import Options, bundled_mocks, run_against_mock, run_contract
from .semantic import PROPERTIES


def _parse_rate(ctx: click.Context, param: click.Parameter, value: str | None) -> Rate | None:
    try:
        return Rate.parse(value) if value else None
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def plan(providers: list[str], examples: int, budget: Budget) -> str:
    """The planned calls per provider and their estimated cost in the provider's unit.

    Fuzzing's paid calls are counted by running it against the bundled mock here (locally,
    free, calling nothing else): schemathesis makes about as many against any server.
    """
    lines = []
    for name in providers:
        info = PROVIDERS[name]
        unit, how = UNITS[name]
        lines.append(f"{name}: cost unit {unit} ({how})")
        total, calls = _fuzzing_plan(name, examples, budget, lines)
        for prop in PROPERTIES[name]:
            for method, path, seconds in prop.plan(examples):
                cost = cost_of(seconds) if seconds else 0.0
                lines.append(f"  {prop.name}: {method} {path}" + (f"  ~{cost:g} {unit}" if cost
                                                                    else "  (free)"))
                if seconds:
                    calls += 1
                    total += cost
        allowed = calls if budget.max_calls is None else min(calls, budget.max_calls)
        lines.append(f"  in all: {calls} paid call(s), at most ~{total:g} {unit}"
                     + (f"; --max-calls {budget.max_calls} stops after {allowed}"
                        if budget.limited else ""))
        if info.rate is not None:
            lines.append(f"  paced to {info.rate} (documented; --rate overrides)")
    return "\n".join(lines)


def _fuzzing_plan(name: str, examples: int, budget: Budget,
                  lines: list[str]) -> tuple[float, int]:
    """Lines for conformance's paid calls; (their cost at most, their number)."""
    info = PROVIDERS[name]
    unit = UNITS[name][0]
    if budget.limited:
        paid = ", ".join(f"{m} {p}" for m, p in info.paid)
        lines.append(f"  conformance: schemathesis, {examples} examples per free operation"
                     f" (paid ones excluded under --max-calls: {paid})")
        return 0.0, 0
    counted: dict[str, int] = {}
    progress = Progress()
    progress.say(f"[{name}] counting conformance's paid calls against the bundled mock"
                 " (local, free)")
    try:
        with bundled_mocks(name, ["instant"]) as (mock,):
            run_conformance(mock, Budget(), examples, info.rate, progress,
                            per_operation=counted)
    finally:
        progress.close()
    lines.append(f"  conformance: schemathesis, {examples} examples per operation (positive,"
                 f" negative, stateful); every length it asks for is capped at {CAP_SECONDS} s"
                 " of audio; paid calls counted against the bundled mock:")
    total, calls = 0.0, 0
    for method, path in info.paid:
        count = counted.get(f"{method} {path}", 0)
        each = info.fuzzed_call_cost(method, path, CAP_SECONDS)
        lines.append(f"    {method} {path}: {count} call(s) x at most ~{each:g} = ~{count * each:g}"
                     f" {unit} (invalid ones are refused, and cost nothing where the provider"
                     " charges only work done)")
        total, calls = total + count * each, calls + count
    return total, calls


@click.command("contract")
@click.argument("providers", nargs=-1, required=True,
                type=click.Choice([*PROVIDERS, "all"]))
@click.option("--base-url", help="The provider's base URL (with its server path, e.g."
              " https://api.musicgpt.com/api/public); default: the bundled mock, started by"
              " this command.")
@click.option("--api-key", help="API key for --base-url.")
@click.option("--examples", default=10, show_default=True, type=click.IntRange(min=1),
              help="schemathesis examples per operation; semantic properties use at most 5.")
@click.option("--budget-seconds", type=float, help="Stop generation calls after this long.")
@click.option("--max-calls", type=int, help="At most this many generation (paid) calls.")
@click.option("--rate", callback=_parse_rate,
              help="Send at most this many requests, e.g. 100/min, 5/s (default: the"
              " provider's documented limit, if any).")
@click.option("--job-timeout", default=600.0, show_default=True, type=click.FloatRange(min=1),
              help="Seconds a job may take when its submit answer promises no eta.")
@click.option("--strict", is_flag=True, help="Skipped checks fail the run (for CI).")
@click.option("--yes", is_flag=True, help="Spend without asking (a remote --base-url without"
              " --max-calls asks first).")
@click.option("--webhook-url", help="Public URL forwarded to the local webhook receiver, which"
              " listens on 127.0.0.1 at this URL's port.")
@click.option("--webhook-secret", help="Secret to verify webhook signatures (Soundpiece).")
@click.option("--junit", "junit_path", type=click.Path(dir_okay=False), help="Write JUnit XML.")
@click.option("--markdown", "markdown_path", type=click.Path(dir_okay=False),
              help="Write a markdown report.")
@click.option("--check", "checks", multiple=True,
              help="Run only this check (conformance or a property name); repeatable.")
@click.option("--dry-run", is_flag=True, help="List the calls and estimated cost; call nothing.")
def contract(providers: tuple[str, ...], base_url: str | None, api_key: str | None,
             examples: int, budget_seconds: float | None, max_calls: int | None,
             rate: Rate | None, job_timeout: float, strict: bool, yes: bool,
             webhook_url: str | None, webhook_secret: str | None, junit_path: str | None,
             markdown_path: str | None, checks: tuple[str, ...], dry_run: bool) -> None:
    """Check that PROVIDER keeps its documented API (exit 1 on any violation)."""
    started = time.monotonic()
    names = list(PROVIDERS) if "all" in providers else list(dict.fromkeys(providers))
    if base_url and len(names) != 1:
        raise click.UsageError("--base-url names one provider's API: give one PROVIDER")
    if base_url and not api_key:
        raise click.UsageError("--base-url needs --api-key")
    known = {"conformance", *(p.name for name in names for p in PROPERTIES[name])}
    unknown = sorted(set(checks) - known)
    if unknown:
        raise click.BadParameter(f"no check named {', '.join(unknown)}; the checks of"
                                 f" {', '.join(names)}: {', '.join(sorted(known))}",
                                 param_hint="--check")
    budget = Budget(max_calls=max_calls, seconds=budget_seconds)
    if dry_run:
        click.echo(plan(names, examples, budget))
        return
    target = Target(names[0], base_url.rstrip("/"), api_key or "", webhook_url,
                    webhook_secret) if base_url else None
    if target is not None and not target.is_loopback and max_calls is None and not yes:
        _ask_before_spending(names[0], examples, budget)
    progress = Progress()
    options = Options(examples=examples, checks=checks or None, rate=rate, strict=strict,
                      job_timeout=job_timeout, progress=progress)

    def one(name: str) -> Report:
        if target is not None:
            return run_contract(target, budget, options)
        return run_against_mock(name, Budget(max_calls=max_calls, seconds=budget_seconds)
                                if len(names) > 1 else budget, options)

    try:
        with ThreadPoolExecutor(max_workers=len(names)) as pool:
            reports = list(pool.map(one, names))
    finally:
        progress.close()
    report = merge(reports, strict)
    report.seconds = time.monotonic() - started  # the whole run, servers' start included
    click.echo(terminal(report))
    if junit_path:
        junit(report, junit_path)
    if markdown_path:
        markdown(report, markdown_path)
    sys.exit(0 if report.ok else 1)


def _ask_before_spending(provider: str, examples: int, budget: Budget) -> None:
    """A run against a remote provider spends real money: show the plan and ask, or stop."""
    planned = plan([provider], examples, budget)
    if not sys.stdin.isatty():
        raise click.UsageError(
            f"this run calls a remote {provider} API and may spend (plan below); pass --yes"
            f" to go ahead, or --max-calls N to cap it\n{planned}")
    click.echo(planned)
    click.confirm("Spend this on the provider?", abort=True)


def merge(reports: list[Report], strict: bool = False) -> Report:
    """One report of several providers' reports."""
    merged = Report(strict=strict)
    for r in reports:
        merged.results += r.results
        merged.seconds = max(merged.seconds, r.seconds)
        merged.generation_calls += r.generation_calls
        merged.cost.update(r.cost)
    return merged
