"""Offline stand-ins for providers' Python libraries.

``music_gen`` (the "Music Gen AI" README's Python API) is the one so far. Code written
against ``import music_gen`` runs on it after either of:

- ``mockserver.fakes.install()`` — registers the fake as ``sys.modules["music_gen"]`` for
  the rest of the process (call it before the first ``import music_gen``);
- ``pytest -p mockserver.fakes.pytest_plugin`` (or ``pytest_plugins =
  ["mockserver.fakes.pytest_plugin"]`` in a root ``conftest.py``) — does that for a test run
  and offers a ``music_gen`` fixture.

Nothing happens on import: the fake never shadows a real ``music_gen`` unless asked.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

FAKES = {"music_gen": "mockserver.fakes.music_gen"}


def install(name: str = "music_gen") -> ModuleType:
    """Make ``import <name>`` give the fake (replacing any module already imported under
    that name); returns the fake module."""
    if name not in FAKES:
        raise ValueError(f"no fake named {name!r}; fakes: {', '.join(FAKES)}")
    module = importlib.import_module(FAKES[name])
    sys.modules[name] = module
    return module


def uninstall(name: str = "music_gen") -> None:
    """Undo ``install`` (only if the fake is what ``import <name>`` gives now)."""
    module = sys.modules.get(name)
    if module is not None and module.__name__ == FAKES.get(name):
        del sys.modules[name]


__all__ = ["FAKES", "install", "uninstall"]
