"""The registry of providers; the only module that knows them all.

Each subpackage that exports ``PROVIDER`` (a ``base.Provider``) is a provider. Discovery
runs on first use of ``PROVIDERS``, not on import, so importing one provider's model module
(``mockserver.fakes`` imports ``musicgen.model``) does not load every provider.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from typing import Any

from mockserver.providers.base import Provider

_lock = threading.Lock()


def _discover() -> dict[str, Provider]:
    found: dict[str, Provider] = {}
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.ispkg:
            provider = getattr(importlib.import_module(f"{__name__}.{module.name}"),
                               "PROVIDER", None)
            if isinstance(provider, Provider):
                found[provider.name] = provider
    return found


def __getattr__(name: str) -> Any:
    if name != "PROVIDERS":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _lock:
        if "PROVIDERS" not in globals():
            globals()["PROVIDERS"] = _discover()
    return globals()["PROVIDERS"]


__all__ = ["PROVIDERS", "Provider"]
