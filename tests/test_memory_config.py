"""The config's ``memory`` section: documented defaults, checked values, and the server
built with them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mockserver.core.memory import MB, MemoryLimits
from mockserver.core.settings import Settings
from mockserver.http.app import create_app


def test_defaults_without_a_memory_section() -> None:
    limits = Settings().memory_limits()
    assert limits == MemoryLimits()
    assert (limits.max_concurrent_renders, limits.audio_cache_mb, limits.rate_limit_buckets) == (
        4, 256.0, 100_000)


def test_the_server_is_built_with_the_configured_bounds() -> None:
    config = {"memory": {"max_concurrent_renders": 3, "audio_cache_mb": 64,
                         "rate_limit_buckets": 500, "webhook_in_flight": 8,
                         "trim_after_render_mb": 0}}
    services = create_app(Settings(state_path=":memory:", config=config)).services
    assert services.renders.limit == 3
    assert services.audio_cache.max_bytes == 64 * MB
    assert services.rate_limits.max_buckets == 500
    assert services.webhooks.max_in_flight == 8
    assert services.limits.trim_after_render_mb == 0.0


@pytest.mark.parametrize("section, problem", [
    ({"max_renders": 2}, "unknown memory setting(s) max_renders"),
    ({"max_concurrent_renders": 0}, "must be positive"),
    ({"max_concurrent_renders": 2.5}, "must be a whole number"),
    ({"audio_cache_mb": -1}, "must be positive"),
    ({"render_wait_seconds": float("nan")}, "must be a finite number"),
    ({"render_wait_seconds": float("inf")}, "must be a finite number"),
    ({"websocket_sessions": True}, "must be a finite number"),
    ({"webhook_in_flight": "8"}, "must be a finite number"),
    ([1, 2], "memory must be a mapping"),
])
def test_bad_values_are_refused_with_the_setting_named(section: object, problem: str) -> None:
    with pytest.raises(ValueError, match="config: ") as refused:
        Settings(config={"memory": section}).memory_limits()
    assert problem in str(refused.value)


def test_zero_turns_trimming_off_and_whole_floats_are_accepted() -> None:
    limits = MemoryLimits.from_config({"trim_after_render_mb": 0, "max_concurrent_renders": 6.0})
    assert limits.trim_after_render_mb == 0.0
    assert limits.max_concurrent_renders == 6 and isinstance(limits.max_concurrent_renders, int)


def test_serve_with_a_bad_memory_setting_stops_with_the_setting_named(tmp_path: Path) -> None:
    config = tmp_path / "mockserver.yaml"
    config.write_text("memory:\n  max_concurrent_renders: 0\n")
    done = subprocess.run(
        [sys.executable, "-m", "mockserver.cli", "serve", "--port", "0", "--config", str(config),
         "--state", str(tmp_path / "s.db")],
        cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "config: memory.max_concurrent_renders must be positive" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert not (tmp_path / "s.db").exists(), "state was opened for a server that cannot start"
