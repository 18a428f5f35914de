"""The registry of providers; the only module that knows them all."""

from .base import Provider
from .muzaic import PROVIDER as MUZAIC

PROVIDERS: dict[str, Provider] = {p.name: p for p in (MUZAIC,)}

__all__ = ["PROVIDERS", "Provider"]
