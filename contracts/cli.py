"""``mockserver contract``: run the contract suite against the bundled mock or a real base URL."""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor

import click

from .budget import UNITS, Budget, cost_of
from .core import Report, Target
from .providers import PROVIDERS
from .report import junit, markdown, terminal
from .runner import Options, run_against_mock, run_contract
from .semantic import PROPERTIES


def dry_run(providers: list[str], examples: int, budget: Budget) -> str:
    """The planned calls per provider and their estimated cost in the provider's unit."""
    lines = []
    for name in providers:
        info = PROVIDERS[name]
        unit, how = UNITS[name]
        ops = sum(1 for item in info.spec["paths"].values() for m in item
                  if m in ("get", "post", "put", "delete", "patch"))
        paid = ", ".join(f"{m} {p}" for m, p in info.paid)
        lines.append(f"{name}: cost unit {unit} ({how})")
        if budget.limited:
            lines.append(f"  conformance: schemathesis, {examples} examples x {ops - len(info.paid)}"
                         f" free operations (paid ones excluded under --max-calls: {paid})")
        else:
            lines.append(f"  conformance: schemathesis, {examples} examples x {ops} operations"
                         f" (positive, negative, stateful); paid: {paid}; lengths capped at 2 s")
        total, calls = 0.0, 0
        for prop in PROPERTIES[name]:
            planned = prop.plan(examples)
            for method, path, seconds in planned:
                cost = cost_of(name, seconds) if seconds else 0.0
                lines.append(f"  {prop.name}: {method} {path}" + (f"  ~{cost:g} {unit}" if cost
                                                                    else "  (free)"))
                if seconds:
                    calls += 1
                    total += cost
        allowed = calls if budget.max_calls is None else min(calls, budget.max_calls)
        lines.append(f"  semantic: {calls} generation call(s), ~{total:g} {unit}"
                     + (f"; --max-calls {budget.max_calls} stops after {allowed}"
                        if budget.limited else ""))
    return "\n".join(lines)


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
             webhook_url: str | None, webhook_secret: str | None, junit_path: str | None,
             markdown_path: str | None, checks: tuple[str, ...], dry_run: bool) -> None:
    """Check that PROVIDER keeps its documented API (exit 1 on any violation)."""
    started = time.monotonic()
    names = list(PROVIDERS) if "all" in providers else list(dict.fromkeys(providers))
    if base_url and len(names) != 1:
        raise click.UsageError("--base-url names one provider's API: give one PROVIDER")
    if base_url and not api_key:
        raise click.UsageError("--base-url needs --api-key")
    budget = Budget(max_calls=max_calls, seconds=budget_seconds)
    if dry_run:
        click.echo(dry_run_text(names, examples, budget))
        return
    options = Options(examples=examples, checks=checks or None)

    def one(name: str) -> Report:
        if base_url:
            target = Target(name, base_url.rstrip("/"), api_key or "", webhook_url,
                            webhook_secret)
            return run_contract(target, budget, options)
        return run_against_mock(name, Budget(max_calls=max_calls, seconds=budget_seconds)
                                if len(names) > 1 else budget, options)

    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        reports = list(pool.map(one, names))
    report = merge(reports)
    report.seconds = time.monotonic() - started  # the whole run, servers' start included
    click.echo(terminal(report))
    if junit_path:
        junit(report, junit_path)
    if markdown_path:
        markdown(report, markdown_path)
    sys.exit(0 if report.ok else 1)


dry_run_text = dry_run


def merge(reports: list[Report]) -> Report:
    """One report of several providers' reports."""
    merged = Report()
    for r in reports:
        merged.results += r.results
        merged.seconds = max(merged.seconds, r.seconds)
        merged.generation_calls += r.generation_calls
        merged.cost.update(r.cost)
    return merged
