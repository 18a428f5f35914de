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
    """Conformance and every semantic property hold for ``provider``."""
    opt = request.config.getoption
    budget = Budget(max_calls=opt("--max-calls"))
    options = Options(examples=opt("--examples"))
    base = opt("--base-url")
    if base:
        target = Target(provider, base.rstrip("/"), opt("--api-key") or "",
                        opt("--webhook-url"))
        report = run_contract(target, budget, options)
    else:
        report = run_against_mock(provider, budget, options)
    assert report.ok, terminal(report)
