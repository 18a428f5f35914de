"""One settings object for a server run: where it listens, what it serves, how it behaves."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from mockserver.core.faults.rules import FaultRule, config_rules
from mockserver.core.memory import MemoryLimits

DEFAULT_STATE_PATH = ".mockserver/state.db"
MAX_DEPTH_SETTING = 512
"""The deepest ``limits.depth`` the config may set: parsing a body recurses once per level,
and Python's recursion limit (1,000 frames) must stay out of reach."""


@dataclass(frozen=True)
class InputLimits:
    """Bounds on what one request (or websocket message) may carry; the config's ``limits``
    section (and ``providers.<name>.limits``) overrides them. README, "Input limits"."""

    body_bytes: int = 1024 * 1024
    """A request body or websocket message (nginx's default ``client_max_body_size``)."""
    field_bytes: int = 256 * 1024
    """One form field or one JSON string (as sent, escapes included)."""
    header_bytes: int = 16 * 1024
    """One request header, name and value."""
    headers_bytes: int = 64 * 1024
    """All request headers together."""
    url_bytes: int = 16 * 1024
    """Path and query string."""
    items: int = 10_000
    """Items of one JSON array, or members of one JSON object."""
    depth: int = 64
    """Nesting of JSON arrays and objects (the providers' bodies nest at most 6 deep)."""

    @classmethod
    def from_config(cls, *sections: Any) -> InputLimits:
        """Defaults overridden by each ``limits`` mapping in turn (later ones win)."""
        limits = cls()
        known = {f.name for f in fields(cls)}
        for section in sections:
            if section is None:
                continue
            if not isinstance(section, dict):
                raise ValueError("config: limits must be a mapping")
            unknown = set(section) - known
            if unknown:
                raise ValueError(f"config: unknown limit(s) {', '.join(sorted(unknown))};"
                                 f" known: {', '.join(sorted(known))}")
            for name, value in section.items():
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ValueError(f"config: limits.{name} must be a positive integer")
            limits = replace(limits, **section)
        if limits.depth > MAX_DEPTH_SETTING:
            raise ValueError(f"config: limits.depth must be at most {MAX_DEPTH_SETTING}")
        return limits


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
    replay: str | None = None
    """A directory of cassettes whose recorded answers are replayed (``--replay``)."""
    replay_strict: bool = False
    """Answer requests the cassettes do not hold with 501 instead of synthesizing them."""
    workers: int = 1
    """Processes serving one port and sharing the state file (``serve --workers N``)."""

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

    def fault_rules(self) -> tuple[FaultRule, ...]:
        """The ``faults`` section of the config file: fault rules installed at start and
        after every reset (a bad rule stops the start, naming its index and key)."""
        return config_rules(self.config.get("faults"))

    def provider_config(self, provider: str) -> dict[str, Any]:
        """The ``providers.<name>`` section of the config file, or an empty dict."""
        section = (self.config.get("providers") or {}).get(provider) or {}
        if not isinstance(section, dict):
            raise ValueError(f"config: providers.{provider} must be a mapping")
        return section

    def input_limits(self, provider: str | None = None) -> InputLimits:
        """The input limits for a provider (``limits``, then ``providers.<name>.limits``),
        or the server-wide ones."""
        sections = [self.config.get("limits")]
        if provider is not None:
            sections.append(self.provider_config(provider).get("limits"))
        return InputLimits.from_config(*sections)

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
