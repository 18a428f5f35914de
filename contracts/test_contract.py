"""One pytest test per provider: the whole contract suite, failing with every violation."""

from __future__ import annotations

import pytest

from mockserver.contracts.budget import Budget
from mockserver.contracts.core import Target
from mockserver.contracts.providers import PROVIDERS
from mockserver.contracts.report import terminal
from mockserver.contracts.runner import Options, run_against_mock, run_contract


def _providers(config: pytest.Config) -> list[str]:
    only = config.getoption("--provider")
    return [only] if only else list(PROVIDERS)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise over the selected providers."""
    if "provider" in metafunc.fixturenames:
        metafunc.parametrize("provider", _providers(metafunc.config))


def test_contract(provider: str, request: pytest.FixtureRequest) -> None:
    """Conformance and every semantic property hold for ``provider``; a run that could not
    check everything is a pytest skip (with the reasons), never a pass."""
    opt = request.config.getoption
    budget = Budget(max_calls=opt("--max-calls"))
    options = Options(examples=opt("--examples"))
    base = opt("--base-url")
    if base:
        target = Target(provider, base.rstrip("/"), opt("--api-key") or "",
                        opt("--webhook-url"))
        if not target.is_loopback and budget.max_calls is None and not opt("--yes"):
            raise pytest.UsageError("a remote --base-url spends money: give --max-calls N,"
                                    " or --yes (see `mockserver contract --dry-run`)")
        report = run_contract(target, budget, options)
    else:
        report = run_against_mock(provider, budget, options)
    assert not report.violations, terminal(report)
    skipped = [f"{r.name}: {r.skipped}" for r in report.results if r.status == "skipped"]
    if skipped:
        pytest.skip("; ".join(skipped))
