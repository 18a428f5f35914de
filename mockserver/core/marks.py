"""Change marks shared by the worker processes of one server (``serve --workers N``).

Each worker keeps a few things in memory for speed (the clock's reading, the fault rules).
When one worker changes such a thing in the store it bumps the thing's mark here; the others
see the mark change (a read of shared memory, no SQLite query) and reload from the store.
The marks live in an anonymous shared memory page made before the workers are forked, so
only processes of one ``serve`` share them. A single-worker server has no marks: every
check is a no-op.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Callable

NAMES = ("clock", "faults", "reset")
"""The things a worker caches and another may change."""
_SLOT = struct.Struct("<Q")


class ChangeMarks:
    """One 8-byte mark per name in memory shared by the workers (or none: single worker)."""

    def __init__(self, page: mmap.mmap | None = None) -> None:
        self._page = page

    @classmethod
    def shared(cls) -> ChangeMarks:
        """Marks that processes forked after this call share."""
        return cls(mmap.mmap(-1, _SLOT.size * len(NAMES)))  # MAP_SHARED, inherited by fork

    @property
    def enabled(self) -> bool:
        """Whether other processes may change what this one caches."""
        return self._page is not None

    def read(self, name: str) -> int:
        """The current mark of ``name`` (0 when not shared)."""
        if self._page is None:
            return 0
        return int(_SLOT.unpack_from(self._page, _SLOT.size * NAMES.index(name))[0])

    def bump(self, name: str) -> None:
        """Tell the other workers ``name`` changed (after the change is committed). A fresh
        random mark, not an increment: two workers bumping at once still both change it."""
        if self._page is not None:
            _SLOT.pack_into(self._page, _SLOT.size * NAMES.index(name),
                            int.from_bytes(os.urandom(8), "little"))

    def watch(self, name: str) -> Watch:
        """A watcher of ``name`` for one cache."""
        return Watch(self, name)


class Watch:
    """Reloads one cache when its mark changed since the last reload."""

    def __init__(self, marks: ChangeMarks, name: str) -> None:
        self._marks = marks
        self.name = name
        self._seen = marks.read(name)

    @property
    def shared(self) -> bool:
        """Whether other workers share the thing (so a change must be told)."""
        return self._marks.enabled

    def refresh(self, reload: Callable[[], object]) -> None:
        """Call ``reload`` if another worker changed the thing since the last call.

        No lock is held around ``reload`` (callers may be inside a store transaction, and
        a lock here would order against the store's): two threads may reload at once, so
        ``reload`` must never leave the cache older than it was (serialize it, or only move
        values forward)."""
        if not self._marks.enabled:
            return
        mark = self._marks.read(self.name)
        if mark != self._seen:
            reload()
            self._seen = mark  # the mark read before reloading: a bump meanwhile is seen

    def changed(self) -> None:
        """This worker changed the thing (committed): tell the others. Its own next
        ``refresh`` reloads once more, harmlessly."""
        self._marks.bump(self.name)
