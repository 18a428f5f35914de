"""The registry of providers; the only module that knows them all.

Each subpackage that exports ``PROVIDER`` (a ``base.Provider``) is a provider.
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import Provider


def _discover() -> dict[str, Provider]:
    found: dict[str, Provider] = {}
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.ispkg:
            provider = getattr(importlib.import_module(f"{__name__}.{module.name}"),
                               "PROVIDER", None)
            if isinstance(provider, Provider):
                found[provider.name] = provider
    return found


PROVIDERS: dict[str, Provider] = _discover()

__all__ = ["PROVIDERS", "Provider"]
