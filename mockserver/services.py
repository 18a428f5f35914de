"""The shared machinery one server run hands to every provider's handlers."""

from __future__ import annotations

from dataclasses import dataclass

from .accounts import Accounts
from .audio.cache import ByteCache
from .jobs.clock import Clock
from .settings import Settings
from .store import Store

AUDIO_CACHE_BYTES = 256 * 1024 * 1024


@dataclass
class Services:
    """State, time, accounts and the audio cache of one server run."""

    settings: Settings
    store: Store
    clock: Clock
    accounts: Accounts
    audio_cache: ByteCache

    @classmethod
    def create(cls, settings: Settings) -> "Services":
        """Open the state file and build the shared pieces."""
        store = Store(settings.state_path)
        clock = Clock()
        return cls(
            settings=settings,
            store=store,
            clock=clock,
            accounts=Accounts(store, settings, clock),
            audio_cache=ByteCache(AUDIO_CACHE_BYTES),
        )

    @property
    def seed(self) -> int:
        """The ``--seed`` every deterministic id, hash and sound derives from."""
        return self.settings.seed
