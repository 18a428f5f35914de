"""A small thread-safe LRU cache bounded by the total size of its values."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class _Pending:
    """A value being computed by one thread while others wait for it."""

    __slots__ = ("done", "value", "error")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: object = None
        self.error: BaseException | None = None


class ByteCache(Generic[V]):
    """Content-addressed LRU cache holding at most ``max_bytes`` of values.

    ``sizeof`` gives a value's size (``len`` by default, which suits ``bytes``;
    use ``lambda a: a.nbytes`` for numpy arrays). A value larger than the whole
    cache is returned but not stored.
    """

    def __init__(self, max_bytes: int, sizeof: Callable[[V], int] = len) -> None:  # type: ignore[assignment]
        if max_bytes < 0:
            raise ValueError("max_bytes must be >= 0")
        self.max_bytes = max_bytes
        self._sizeof = sizeof
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._pending: dict[Hashable, _Pending] = {}
        self._lock = threading.Lock()
        self._total = 0
        self.hits = 0
        self.misses = 0

    @property
    def total_bytes(self) -> int:
        """Bytes currently held."""
        return self._total

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def get(self, key: Hashable) -> V | None:
        """The cached value, or None; marks it most recently used."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key: Hashable, value: V) -> None:
        """Store a value, evicting least recently used ones to stay in bounds."""
        size = self._sizeof(value)
        with self._lock:
            self._put_locked(key, value, size)

    def _put_locked(self, key: Hashable, value: V, size: int) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self._total -= old[1]
        if size > self.max_bytes:
            return
        while self._items and self._total + size > self.max_bytes:
            _, (_, evicted) = self._items.popitem(last=False)
            self._total -= evicted
        self._items[key] = (value, size)
        self._total += size

    def get_or_create(self, key: Hashable, factory: Callable[[], V]) -> V:
        """Cached value for ``key``, computing it with ``factory`` once.

        Concurrent callers asking for the same missing key wait for the single
        computation; if it raises, they all see the exception and nothing is cached.
        """
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return item[0]
            self.misses += 1
            pending = self._pending.get(key)
            owner = pending is None
            if owner:
                pending = self._pending[key] = _Pending()
        assert pending is not None
        if not owner:
            pending.done.wait()
            if pending.error is not None:
                raise pending.error
            return pending.value  # type: ignore[return-value]
        try:
            value = factory()
        except BaseException as exc:
            pending.error = exc
            with self._lock:
                del self._pending[key]
            pending.done.set()
            raise
        size = self._sizeof(value)
        with self._lock:
            self._put_locked(key, value, size)
            del self._pending[key]
        pending.value = value
        pending.done.set()
        return value

    def clear(self) -> None:
        """Drop every stored value (pending computations are unaffected)."""
        with self._lock:
            self._items.clear()
            self._total = 0
