"""Semantic contracts: properties over HTTP, per provider, that must hold for the real
provider too. Each module exports ``PROPERTIES``: a list of ``common.Property``."""

from __future__ import annotations

from . import musicgen, musicgpt, muzaic, soundpiece
from .common import Property

PROPERTIES: dict[str, list[Property]] = {
    "muzaic": muzaic.PROPERTIES,
    "musicgpt": musicgpt.PROPERTIES,
    "soundpiece": soundpiece.PROPERTIES,
    "musicgen": musicgen.PROPERTIES,
}
