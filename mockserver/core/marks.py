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
import time
from collections.abc import Callable

NAMES = ("clock", "faults", "reset", "flush")
"""The things a worker caches and another may change; ``flush``: a worker asks the others to
write their queued journal rows now (``Backlogs``)."""
_SLOT = struct.Struct("<Q")
FLUSH_WAIT_SECONDS = 2.0
"""The longest a reader waits for the other workers' queued rows (a worker that stopped
answering is not waited for longer; its rows are then missing from that one read)."""


class ChangeMarks:
    """One 8-byte mark per name in memory shared by the workers (or none: single worker),
    and after them two counts per worker (``Backlogs``)."""

    def __init__(self, page: mmap.mmap | None = None, workers: int = 0,
                 own: int | None = None) -> None:
        self._page = page
        self.workers = workers
        self.own = own
        """This process's worker number (None: the supervisor, or a single process)."""

    @classmethod
    def shared(cls, workers: int = 1) -> ChangeMarks:
        """Marks that processes forked after this call share, with counts for ``workers``."""
        slots = len(NAMES) + 2 * workers
        return cls(mmap.mmap(-1, _SLOT.size * slots), workers)  # MAP_SHARED, kept by fork

    def for_worker(self, number: int) -> ChangeMarks:
        """These marks as worker ``number`` (0-based) uses them."""
        return ChangeMarks(self._page, self.workers, number)

    @property
    def enabled(self) -> bool:
        """Whether other processes may change what this one caches."""
        return self._page is not None

    def read(self, name: str) -> int:
        """The current mark of ``name`` (0 when not shared)."""
        return self._get(NAMES.index(name)) if self._page is not None else 0

    def bump(self, name: str) -> None:
        """Tell the other workers ``name`` changed (after the change is committed). A fresh
        random mark, not an increment: two workers bumping at once still both change it."""
        if self._page is not None:
            self._put(NAMES.index(name), int.from_bytes(os.urandom(8), "little"))

    def _get(self, slot: int) -> int:
        assert self._page is not None
        return int(_SLOT.unpack_from(self._page, _SLOT.size * slot)[0])

    def _put(self, slot: int, value: int) -> None:
        assert self._page is not None
        _SLOT.pack_into(self._page, _SLOT.size * slot, value)

    def watch(self, name: str) -> Watch:
        """A watcher of ``name`` for one cache."""
        return Watch(self, name)

    def backlogs(self) -> Backlogs | None:
        """The workers' queued-row counts as this worker keeps them; None unless this is one
        of several workers."""
        if self._page is None or self.own is None:
            return None
        return Backlogs(self, self.own)

    def settle(self, number: int) -> None:
        """Worker ``number`` ended: its queue is gone, nobody waits for it (the supervisor
        calls this before starting its replacement)."""
        if self._page is not None:
            self._put(Backlogs.slot(number, written=True), self._get(Backlogs.slot(number)))


class Backlogs:
    """How many deferred statements (journal rows) each worker has queued and written, both
    counts only growing. A worker about to read what every worker wrote (``/_mock/journal``,
    ``/_mock/verify``, a reset) asks the others to write their queues now and waits until
    each has written what it had queued when asked."""

    def __init__(self, marks: ChangeMarks, own: int) -> None:
        self._marks = marks
        self._own = own

    @staticmethod
    def slot(number: int, written: bool = False) -> int:
        """The page slot of worker ``number``'s queued (or written) count."""
        return len(NAMES) + 2 * number + int(written)

    def start(self) -> int:
        """This worker's count to go on from: a replacement continues its slot's counts."""
        return self._marks._get(self.slot(self._own, written=True))

    def queued(self, count: int) -> None:
        """This worker has queued ``count`` statements in all."""
        self._marks._put(self.slot(self._own), count)

    def written(self, count: int) -> None:
        """This worker has written ``count`` statements in all."""
        self._marks._put(self.slot(self._own, written=True), count)

    def asked(self) -> int:
        """The mark a worker that wants every queue written bumps."""
        return self._marks.read("flush")

    def wait_for_others(self, timeout: float = FLUSH_WAIT_SECONDS) -> bool:
        """Ask the other workers to write their queues and wait (at most ``timeout``) until
        each has written what it had queued now; whether they all did."""
        others = [n for n in range(self._marks.workers) if n != self._own]
        wanted = {n: self._marks._get(self.slot(n)) for n in others}
        self._marks.bump("flush")
        deadline = time.monotonic() + timeout
        while True:
            if all(self._marks._get(self.slot(n, written=True)) >= wanted[n] for n in others):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.001)  # the others' writers look at the mark every few milliseconds

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
