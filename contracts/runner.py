"""Run the contract suite for one provider: conformance, then the semantic properties."""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from .budget import Budget, BudgetSpent
from .conformance import run_conformance
from .core import CheckResult, Report, Target
from .local import LocalServer, Receiver, ServerProcess
from .providers import PROVIDERS
from .semantic import PROPERTIES
from .semantic.common import Context
from .session import Session

MOCK_KEY = "contract-key"


@dataclass
class Options:
    """How much to run."""

    examples: int = 10
    checks: Sequence[str] | None = None
    """Only these checks ("conformance" or property names); None: all."""
    webhook_timeout: float = 15.0
    job_timeout: float = 300.0


def run_contract(target: Target, budget: Budget, options: Options,
                 conformance_target: Target | None = None,
                 log: list[str] | None = None) -> Report:
    """Every check for ``target.provider``; conformance may run against a separate server
    (the bundled mock uses an instant-clock one, so fuzzed jobs complete at once)."""
    started = time.monotonic()
    report = Report()
    wanted = set(options.checks) if options.checks else None
    if wanted is None or "conformance" in wanted:
        report.results.append(run_conformance(conformance_target or target, budget,
                                              options.examples, log))
    properties = [p for p in PROPERTIES[target.provider] if wanted is None or p.name in wanted]
    session = Session(target, budget)
    try:
        with _receiver(target, properties) as receiver:
            for prop in properties:
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
                tick = time.monotonic()
                try:
                    prop.run(ctx)
                except BudgetSpent as spent:
                    result.skipped = str(spent)
                result.seconds = time.monotonic() - tick
                report.results.append(result)
    finally:
        session.close()
    report.seconds = time.monotonic() - started
    report.generation_calls = budget.calls
    report.cost = {target.provider: budget.cost}
    return report


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
                from mockserver.app import create_app
                from mockserver.settings import Settings
                settings = Settings(state_path=str(folder / "state.db"), clock=clock,
                                    api_keys=(MOCK_KEY,), providers=(provider,), config=config)
                servers.append(stack.enter_context(LocalServer(create_app(settings))))
        for server in servers:
            if isinstance(server, ServerProcess):
                server.wait_ready()
        yield [Target(provider, s.url + PROVIDERS[provider].server_path, MOCK_KEY)
               for s in servers]


def _mock_config(clock: str) -> dict:
    """The bundled mock's settings for a contract run: no request limit in the way."""
    config: dict = {"providers": {"musicgen": {"rate_limit": {
        "requests": 1_000_000, "window_seconds": 60}}}}
    if clock == "instant":
        config["providers"]["soundpiece"] = {"webhook_secret": None, "long_poll_seconds": 1}
    return config


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
