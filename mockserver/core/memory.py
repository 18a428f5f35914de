"""Memory bounds of one server run (the config's ``memory`` section), and handing freed
memory back to the operating system after large renders.

Every structure that grows with traffic is bounded here: rate-limit buckets, the audio
cache, renders running at once, websocket sessions and their queues, webhook attempts in
flight. Defaults suit a small (2-core) machine; see README, "Memory bounds".
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

logger = logging.getLogger("mockserver.core.memory")

MB = 1024 * 1024
ZERO_TURNS_OFF = frozenset({"trim_after_render_mb"})


@dataclass(frozen=True)
class MemoryLimits:
    """The ``memory`` section of the config, with documented defaults."""

    max_concurrent_renders: int = 4
    """Audio renders running at once, over every provider; beyond it a request is refused in
    the provider's format (Muzaic 429, Music Gen AI 503) or waits (file downloads, streams)."""
    render_wait_seconds: float = 30.0
    """How long a file download or a stream chunk waits for a render slot before a 503."""
    audio_cache_mb: float = 256.0
    """Rendered audio kept for repeat requests (LRU by size)."""
    rate_limit_buckets: int = 100_000
    """Rate-limit buckets (provider, key) kept at most; idle ones are dropped sooner."""
    websocket_sessions: int = 256
    """Open websocket sessions at once; more are refused (an error message, close 1013)."""
    websocket_queue: int = 16
    """Client messages queued per websocket while a stream runs (then reading pauses)."""
    webhook_in_flight: int = 64
    """Webhook attempts running at once (due ones wait their turn in SQLite)."""
    trim_after_render_mb: float = 8.0
    """After a render of at least this size, freed memory is handed back to the OS
    (glibc ``malloc_trim``); 0 turns it off."""

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None) -> MemoryLimits:
        """Limits from a parsed ``memory`` section; unknown keys and bad values are errors."""
        section = section or {}
        if not isinstance(section, Mapping):
            raise ValueError("config: memory must be a mapping")
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(section) - set(known))
        if unknown:
            raise ValueError(f"config: unknown memory setting(s) {', '.join(unknown)};"
                             f" known: {', '.join(known)}")
        values: dict[str, Any] = {}
        for name, value in section.items():
            default = getattr(cls, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(
                    value):
                raise ValueError(f"config: memory.{name} must be a finite number")
            if isinstance(default, int) and value != int(value):
                raise ValueError(f"config: memory.{name} must be a whole number")
            if value < 0 or (value == 0 and name not in ZERO_TURNS_OFF):
                raise ValueError(f"config: memory.{name} must be positive")
            values[name] = type(default)(value)
        return cls(**values)


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None on other C libraries."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError, TypeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_TRIM = _malloc_trim()


def release_memory() -> bool:
    """Collect garbage and hand freed heap pages back to the OS; False where the allocator
    offers no way to (not glibc)."""
    gc.collect()
    if _TRIM is None:
        return False
    _TRIM(0)
    return True
