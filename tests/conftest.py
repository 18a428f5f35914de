"""Test-wide setup: hypothesis profiles and the live-server fixtures."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from postgres_db import drop_made_schemas

pytest_plugins = ["server_fixtures"]
# a project of its own (its own pytest.ini); test_examples.py runs it in a subprocess
collect_ignore = ["examples"]

_slow_ok = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
settings.register_profile("ci", max_examples=15, deadline=None, suppress_health_check=_slow_ok)
settings.register_profile("thorough", max_examples=200, deadline=None,
                          suppress_health_check=_slow_ok)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop the PostgreSQL schemas the session's test servers used (if any)."""
    drop_made_schemas()
