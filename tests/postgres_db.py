"""The test PostgreSQL server (``.ci/postgres`` starts it; ``MOCKSERVER_TEST_POSTGRES`` is its
URL): a schema of its own for each test server, and the switch that runs the live servers of
the provider suite on PostgreSQL (``MOCKSERVER_TEST_STATE=postgres``)."""

from __future__ import annotations

import hashlib
import os
import uuid
from urllib.parse import quote

import pytest

POSTGRES_URL = os.environ.get("MOCKSERVER_TEST_POSTGRES")
"""The test database, or None: tests that need it skip."""
ON_POSTGRES = os.environ.get("MOCKSERVER_TEST_STATE") == "postgres"
"""Whether live test servers keep their state in PostgreSQL rather than an SQLite file."""
SKIP_REASON = "no PostgreSQL for tests: set MOCKSERVER_TEST_POSTGRES (eval \"$(.ci/postgres start)\")"

made: set[str] = set()
"""Schemas this test session made (dropped when it ends)."""


def postgres_url() -> str:
    """The test database's URL; the calling test skips when there is none."""
    if not POSTGRES_URL:
        pytest.skip(SKIP_REASON)
    return POSTGRES_URL


def schema_url(name: str | None = None) -> str:
    """A URL of the test database whose tables live in schema ``name`` (new: a fresh one)."""
    import psycopg

    url = postgres_url()
    name = name or f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{name}"')
    made.add(name)
    return f"{url}{'&' if '?' in url else '?'}options={quote(f'-csearch_path={name}')}"


def state_for(state_path: str) -> str:
    """The state a live test server gets: its SQLite path, or (``ON_POSTGRES``) a schema named
    after the path, so a server restarted on the same path finds its state."""
    if not ON_POSTGRES:
        return state_path
    if not POSTGRES_URL:
        raise RuntimeError(f"MOCKSERVER_TEST_STATE=postgres needs MOCKSERVER_TEST_POSTGRES; {SKIP_REASON}")
    if state_path == ":memory:":
        return schema_url()
    return schema_url("t_" + hashlib.sha256(os.path.abspath(state_path).encode()).hexdigest()[:16])


def drop_made_schemas() -> None:
    """Drop the schemas this session made."""
    if not made or not POSTGRES_URL:
        return
    import psycopg

    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        for name in sorted(made):
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    made.clear()
