"""pytest plugin: ``import music_gen`` is the offline fake for the whole test run.

Enable with ``pytest -p mockserver.fakes.pytest_plugin`` or ``pytest_plugins =
["mockserver.fakes.pytest_plugin"]`` in the root ``conftest.py``. The fake is installed
when pytest configures itself, before test modules are collected, so a module-level
``from music_gen import MusicGenerator`` works; the ``music_gen`` fixture returns it too.
"""

from __future__ import annotations

from types import ModuleType

import pytest

from mockserver.fakes import install


def pytest_configure(config: pytest.Config) -> None:
    """Install the fake before collection."""
    install("music_gen")


@pytest.fixture
def music_gen() -> ModuleType:
    """The fake ``music_gen`` module."""
    return install("music_gen")
