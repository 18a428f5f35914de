"""One settings object for a server run: where it listens, what it serves, how it behaves."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .memory import MemoryLimits

DEFAULT_STATE_PATH = ".mockserver/state.db"


@dataclass(frozen=True)
class Settings:
    """Everything a server needs to know; built by the CLI or by tests."""

    host: str = "127.0.0.1"
    port: int = 8080
    providers: tuple[str, ...] = ()
    """Providers to serve; empty means all. Exactly one is served at the root."""
    state_path: str = DEFAULT_STATE_PATH
    """SQLite file; ``:memory:`` keeps state in memory (tests)."""
    seed: int = 0
    api_keys: tuple[str, ...] = ()
    """When given (or listed in the config file), only these keys are accepted."""
    config: dict[str, Any] = field(default_factory=dict)
    """Parsed YAML config file (see README, "Configuration")."""
    clock: str = "real"
    """``real``, ``instant`` or ``manual`` (see ``jobs/clock.py``)."""
    speed: float = 1.0
    """How much faster than realistic jobs run on the real clock."""
    admin_token: str | None = None
    """Token the admin API requires (``--admin-token``); see ``admin_access``."""

    def webhook_config(self) -> dict[str, Any]:
        """The ``webhooks`` section of the config file."""
        section = self.config.get("webhooks") or {}
        if not isinstance(section, dict):
            raise ValueError("config: webhooks must be a mapping")
        return section

    def files_config(self) -> dict[str, Any]:
        """The ``files`` section of the config file (``signing_key``)."""
        section = self.config.get("files") or {}
        if not isinstance(section, dict):
            raise ValueError("config: files must be a mapping")
        key = section.get("signing_key")
        if key is not None and (not isinstance(key, str) or not key):
            raise ValueError("config: files.signing_key must be a non-empty string")
        return section

    def memory_limits(self) -> MemoryLimits:
        """The ``memory`` section of the config file, with defaults (see ``memory.py``)."""
        return MemoryLimits.from_config(self.config.get("memory"))

    def provider_config(self, provider: str) -> dict[str, Any]:
        """The ``providers.<name>`` section of the config file, or an empty dict."""
        section = (self.config.get("providers") or {}).get(provider) or {}
        if not isinstance(section, dict):
            raise ValueError(f"config: providers.{provider} must be a mapping")
        return section

    def allowed_keys(self, provider: str) -> frozenset[str] | None:
        """Keys accepted for a provider, or None when any non-empty key is accepted."""
        keys = set(self.api_keys)
        keys.update(str(k) for k in self.config.get("api_keys") or [])
        keys.update(str(k) for k in self.provider_config(provider).get("api_keys") or [])
        return frozenset(keys) if keys else None


def load_config(path: str | Path | None) -> dict[str, Any]:
    """Read a YAML config file; a missing path means no config."""
    if path is None:
        return {}
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    if not isinstance(data, dict):
        raise ValueError(f"config file {path}: the top level must be a mapping")
    return data
