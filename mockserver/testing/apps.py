"""The mock built for a test: settings with the test defaults, and each provider's base URL."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

from mockserver.core.settings import Settings

TEST_DEFAULTS: dict[str, Any] = {"clock": "manual"}
"""What a test gets unless it says otherwise: time moves only when the test advances it."""


def mock_settings(base: Settings | None = None, **overrides: Any) -> Settings:
    """``base`` (else ``Settings()`` with ``TEST_DEFAULTS``) with ``overrides`` applied;
    lists become tuples and an unknown name is a TypeError that lists the known ones."""
    known = {f.name for f in fields(Settings)}
    unknown = set(overrides) - known
    if unknown:
        raise TypeError(f"unknown mockserver setting(s) {', '.join(sorted(unknown))};"
                        f" known: {', '.join(sorted(known))}")
    settings = base if base is not None else Settings(**TEST_DEFAULTS)
    values: dict[str, Any] = {name: tuple(value) if isinstance(value, list) else value
              for name, value in overrides.items()}
    return replace(settings, **values)


def provider_url(app: Any, origin: str, provider: str) -> str:
    """``origin`` + the base path ``app`` (from ``create_app``) serves ``provider`` at."""
    mounts: dict[str, str] = dict(app.mounts)
    if provider not in mounts:
        raise ValueError(f"provider {provider!r} is not served here; served: {', '.join(mounts)}")
    return origin + mounts[provider]
