"""Run the contract suite for one provider: conformance, then the semantic properties."""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
import yaml

from mockserver.testing.servers import LocalServer, Receiver, ServerProcess

from .budget import Budget, BudgetSpent
from .conformance import run_conformance
from .core import CheckResult, Report, Target, Violation, mostly, short
from .pacing import Pacer, Rate
from .progress import Progress, Silent
from .providers import PROVIDERS
from .semantic import PROPERTIES
from .semantic.common import Context, Property
from .session import Session

MOCK_KEY = "contract-key"


@dataclass
class Options:
    """How much to run, how fast, and how to tell."""

    examples: int = 10
    checks: Sequence[str] | None = None
    """Only these checks ("conformance" or property names); None: all."""
    webhook_timeout: float = 15.0
    job_timeout: float = 600.0
    """Bound for a job whose submit answer promises no eta."""
    rate: Rate | None = None
    """Calls per window for this run; None: the provider's documented limit, if any."""
    strict: bool = False
    """Skipped checks fail the run."""
    progress: Progress = field(default_factory=Silent)


def run_contract(target: Target, budget: Budget, options: Options,
                 conformance_target: Target | None = None,
                 log: list[str] | None = None) -> Report:
    """Every check for ``target.provider``; conformance may run against a separate server
    (the bundled mock uses an instant-clock one, so fuzzed jobs complete at once)."""
    started = time.monotonic()
    report = Report(strict=options.strict)
    info = PROVIDERS[target.provider]
    wanted = set(options.checks) if options.checks else None
    properties = [p for p in PROPERTIES[target.provider] if wanted is None or p.name in wanted]
    names = ["conformance"] * (wanted is None or "conformance" in wanted) + [
        p.name for p in properties]
    rate = options.rate or info.rate
    session = Session(target, budget)
    try:
        problem = preflight(session)
        if problem is not None:
            report.results.append(problem)
            report.results += [CheckResult(target.provider, name, skipped=f"not run:"
                                           f" {problem.violations[0].name}") for name in names]
            return _finish(report, started, budget, target)
        fuzz = "conformance" in names
        if fuzz and conformance_target is not None \
                and conformance_target.base_url != target.base_url:
            # two servers (the bundled mock): the properties run while schemathesis fuzzes
            # the other one, so neither waits for the other
            with ThreadPoolExecutor(max_workers=1) as pool:
                checked = pool.submit(_run_properties, properties, session, options, rate, 0.0)
                report.results.append(run_conformance(
                    conformance_target, budget, options.examples, rate, options.progress, log))
                report.results += checked.result()
        else:
            last_call = 0.0
            if fuzz:
                # the suite moves the target's clock in every phase, or in none
                fuzzed = conformance_target or replace(target, own_clock=session.has_admin())
                result = run_conformance(fuzzed, budget, options.examples, rate,
                                         options.progress, log)
                report.results.append(result)
                last_call = result.last_call  # one server: its rate limit spans both
            report.results += _run_properties(properties, session, options, rate, last_call)
    finally:
        session.close()
    coverage = rate_limit_coverage(report)
    if coverage is not None:
        report.results.append(coverage)
    return _finish(report, started, budget, target)


def _run_properties(properties: Sequence[Property], session: Session, options: Options,
                    rate: Rate | None, last_call: float) -> list[CheckResult]:
    """The semantic properties one after another, paced to ``rate`` from ``last_call``."""
    target = session.target
    session.pacer = Pacer(rate, session.advance if session.has_admin() else None,
                          last=last_call)
    with _receiver(target, properties) as receiver:
        return [_run_property(prop, session, receiver, options) for prop in properties]


def _run_property(prop: Property, session: Session, receiver: Receiver | None,
                  options: Options) -> CheckResult:
    """One semantic property, concluded as passed, failed or skipped-with-a-reason."""
    target = session.target
    result = CheckResult(target.provider, prop.name)
    session.result = result
    ctx = Context(session, options.examples, receiver,
                  target.webhook_url or (receiver.url if receiver else None),
                  options.webhook_timeout, options.job_timeout)
    ctx.extra["webhook_secret"] = target.webhook_secret or (
        PROVIDERS[target.provider].webhook_secret if session.has_admin() else None)
    if prop.webhooks and receiver is None:
        result.notes.append("webhooks not checked: no receiver the provider can"
                            " reach (give --webhook-url)")
    options.progress.started(target.provider, prop.name,
                             lambda: (result.calls, result.rate_limited))
    tick = time.monotonic()
    try:
        prop.run(ctx)
    except BudgetSpent as spent:
        result.skipped = str(spent)
    except httpx.TransportError as error:
        session.violate("transport_error", prop.name, "an answer from the provider",
                        f"{type(error).__name__}: {error}")
    except Exception as error:  # an answer the check did not foresee: report it, go on
        session.violate("check_error", prop.name, "an answer the check can read",
                        f"{type(error).__name__}: {short(str(error), 300)}")
    finally:
        result.seconds = time.monotonic() - tick
        result.conclude()
        options.progress.finished(target.provider, prop.name, _outcome(result))
    return result


def _outcome(result: CheckResult) -> str:
    return {"failed": f"FAILED ({', '.join(sorted({v.name for v in result.violations}))})",
            "skipped": f"skipped: {result.skipped}"}.get(result.status, "passed")


def _finish(report: Report, started: float, budget: Budget, target: Target) -> Report:
    report.seconds = time.monotonic() - started
    report.generation_calls = budget.calls
    report.cost = {target.provider: budget.cost}
    return report


def preflight(session: Session) -> CheckResult | None:
    """One free call whose documented answer is never 404: a 404, or no answer at all, is a
    wrong base URL (or a server that is down), reported as such instead of as violations."""
    target = session.target
    info = PROVIDERS[target.provider]
    method, path = info.probe
    result = CheckResult(target.provider, "base_url")
    session.result = result
    curl = session.curl(method, path)
    hint = (f"the base URL must include the provider's server path, as in"
            f" {info.spec_server_url}")
    try:
        response = session.request(method, path, check=False)
    except httpx.TransportError as error:
        session.violate("unreachable", f"{method} {path}", f"an answer from {target.base_url}",
                        f"{type(error).__name__}: {error}", curl)
        return result
    if response.status_code == 404:
        session.violate("wrong_base_url", f"{method} {path}",
                        f"a documented answer (not 404); {hint}",
                        f"404: {short(response.text, 200)}", curl)
        return result
    return None


def rate_limit_coverage(report: Report) -> CheckResult | None:
    """A failed "coverage" check when rate limits kept most checks from running."""
    results = [r for r in report.results if r.name != "base_url"]
    limited = [r for r in results if r.status == "skipped" and "rate limit" in r.skipped
               or any(v.name == "rate_limited" for v in r.violations)]
    if not mostly(len(limited), len(results)):
        return None
    result = CheckResult(results[0].provider, "coverage")
    result.violations.append(Violation(
        "rate_limited", "the whole run", "most checks exercised (not answered 429)",
        f"rate limits kept {len(limited)} of {len(results)} checks from running"
        f" ({', '.join(r.name for r in limited)}); give the provider's limit with --rate,"
        " or run fewer --examples", check="coverage"))
    return result


@contextlib.contextmanager
def _receiver(target: Target, properties: list) -> Iterator[Receiver | None]:
    """A local webhook receiver when a property needs one and the provider can reach it."""
    if not any(p.webhooks for p in properties):
        yield None
        return
    if target.webhook_url:
        from urllib.parse import urlparse
        port = urlparse(target.webhook_url).port or 80
        with Receiver(port=port) as receiver:
            yield receiver
        return
    if not target.is_loopback:
        yield None
        return
    with Receiver() as receiver:
        yield receiver


@contextlib.contextmanager
def bundled_mocks(provider: str, clocks: Sequence[str]) -> Iterator[list[Target]]:
    """The bundled mock for ``provider``, one server per clock on free 127.0.0.1 ports.

    The instant-clock mock (jobs finish at once, generated callback URLs are never called)
    takes schemathesis' thousands of requests: it runs as a ``mockserver serve`` child
    process, with its own interpreter, so four of them fuzzed at once do not share this
    process's GIL. The manual-clock mock takes the properties' few dozen requests: it runs
    in-process, without another interpreter to start.
    """
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        servers: list[ServerProcess | LocalServer] = []
        for clock in clocks:
            folder = Path(tmp) / clock
            folder.mkdir()
            config = _mock_config(clock)
            if clock == "instant":
                (folder / "config.yaml").write_text(yaml.safe_dump(config))
                args = ["--provider", provider, "--clock", clock, "--api-key", MOCK_KEY,
                        "--state", str(folder / "state.db"),
                        "--config", str(folder / "config.yaml")]
                child = ServerProcess(args, cwd=folder, log=folder / "serve.log")
                stack.callback(child.__exit__)  # stopped on the way out, however it went
                servers.append(child.start())
            else:
                from mockserver.core.settings import Settings
                from mockserver.http.app import create_app
                settings = Settings(state_path=str(folder / "state.db"), clock=clock,
                                    api_keys=(MOCK_KEY,), providers=(provider,), config=config)
                servers.append(stack.enter_context(LocalServer(create_app(settings))))
        for server in servers:
            if isinstance(server, ServerProcess):
                server.wait_ready()
        yield [Target(provider, s.url + PROVIDERS[provider].server_path, MOCK_KEY,
                      own_clock=True) for s in servers]


def _mock_config(clock: str) -> dict:
    """The bundled mock's settings for a contract run. Its documented limits stay as they
    are (the suite paces itself and moves the mock's clock); the fuzzed Soundpiece has no
    signing secret, so, as documented, it sends no callbacks to generated URLs."""
    if clock == "instant":
        return {"providers": {"soundpiece": {"webhook_secret": None, "long_poll_seconds": 1}}}
    return {}


def run_against_mock(provider: str, budget: Budget, options: Options,
                     log: list[str] | None = None) -> Report:
    """The suite against the bundled mock (instant clock for fuzzing, manual for semantics)."""
    wanted = set(options.checks or ())
    fuzz = not wanted or "conformance" in wanted
    semantic = not wanted or any(p.name in wanted for p in PROPERTIES[provider])
    clocks = ["instant"] * fuzz + ["manual"] * semantic or ["manual"]
    with bundled_mocks(provider, clocks) as targets:
        return run_contract(targets[-1], budget, options, conformance_target=targets[0],
                            log=log)
