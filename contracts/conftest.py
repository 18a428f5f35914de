"""``pytest contracts/ [--base-url URL --api-key KEY] [--provider NAME] [--examples N]``:
the contract suite as pytest tests (without --base-url: against the bundled mock)."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    """The suite's options."""
    group = parser.getgroup("contract")
    group.addoption("--base-url", default=None, help="provider base URL (default: bundled mock)")
    group.addoption("--api-key", default=None, help="API key for --base-url")
    group.addoption("--provider", default=None, help="only this provider")
    group.addoption("--examples", default=10, type=int, help="examples per operation")
    group.addoption("--max-calls", default=None, type=int, help="generation call budget")
    group.addoption("--webhook-url", default=None, help="public URL of the local receiver")
    group.addoption("--yes", action="store_true", help="spend on a remote --base-url without"
                    " --max-calls")
