"""Writes that need not happen on the request path: queued in memory, written in batches.

A request's journal row is the case: the answer does not depend on it, and one insert (with
its commit) per request cost more than the rest of a cheap request's own work. Statements
are queued in order and written by a background thread every ``interval`` seconds, all in
one transaction; a reader that must see them (``/_mock/journal``, ``/_mock/verify``,
``reset``) flushes first, so nothing queued is ever invisible to the server itself. With
several workers (``serve --workers N``), that reader's flush asks the other workers to write
their queues too and waits for them (``marks.Backlogs``); each worker's writer looks for such
a request every ``ASKED_STEP`` seconds. The queue is bounded: at ``limit`` statements the
caller writes the batch itself. A clean stop writes what is queued; a killed process
(``kill -9``) loses at most the last ``interval``.
"""

from __future__ import annotations

import re
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from mockserver.core.marks import Backlogs

_RETURNING = re.compile(r"\bRETURNING\s+id\s*$", re.IGNORECASE)
INTERVAL = 0.05
"""Seconds between background flushes (the most a killed process can lose)."""
ASKED_STEP = 0.003
"""Seconds between a worker's looks at whether another worker asks for its queued rows."""
LIMIT = 2000
"""Statements queued before the caller writes them itself (the queue's bound)."""


InsertRows = Callable[[Any, str, list[Sequence[Any]]], list[int]]


@dataclass
class Deferred:
    """One queued statement; ``rowid`` is the id its insert got, once written."""

    sql: str
    params: Sequence[Any]
    rowid: int | None = None
    written: bool = False


def runs(batch: list[Deferred]) -> list[list[Deferred]]:
    """``batch`` in runs of consecutive ``INSERT ... RETURNING id`` of one statement (other
    statements alone), in order."""
    grouped: list[list[Deferred]] = []
    for item in batch:
        last = grouped[-1] if grouped else None
        if (last is not None and last[0].sql == item.sql and _RETURNING.search(item.sql)
                and item.sql.lstrip()[:6].upper() == "INSERT"):
            last.append(item)
        else:
            grouped.append([item])
    return grouped


class DeferredWrites:
    """The queue of one store's deferred statements and the thread that writes them."""

    def __init__(self, transaction: Callable[[], AbstractContextManager[Any]],
                 interval: float = INTERVAL, limit: int = LIMIT,
                 insert_rows: InsertRows | None = None) -> None:
        """``insert_rows(conn, sql, rows)``: the backend's way to insert many rows of one
        ``INSERT ... RETURNING id`` at once, giving their ids in order (else one by one)."""
        self._transaction = transaction
        self._insert_rows = insert_rows
        self._interval = interval
        self._limit = limit
        self._queue: list[Deferred] = []
        self._guard = threading.Lock()  # the queue's own lock: adding never waits for SQLite
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._backlogs: Backlogs | None = None
        self._added = self._written = self._published = 0

    def share(self, backlogs: Backlogs) -> None:
        """Write this worker's queue when another worker asks (``serve --workers N``), and
        tell them how far it has written."""
        self._backlogs = backlogs
        self._added = self._written = self._published = backlogs.start()

    def add(self, sql: str, params: Sequence[Any]) -> Deferred:
        """Queue a statement; written within ``interval`` (at once when the queue is full or
        the writer is off)."""
        item = Deferred(sql, params)
        with self._guard:
            self._queue.append(item)
            full = len(self._queue) >= self._limit
            self._added += 1
            if self._backlogs is not None:
                self._backlogs.queued(self._added)
        if full or self._interval <= 0 or self._closed:
            self.flush()
        elif self._thread is None:
            self._start()
        return item

    def flush(self, everywhere: bool = False) -> None:
        """Write every queued statement now, in one transaction, in the order queued;
        ``everywhere``: the other workers' queues too (waiting for them, within a bound)."""
        self._flush()
        if everywhere and self._backlogs is not None:
            self._backlogs.wait_for_others()

    def _flush(self) -> None:
        if not self._queue:
            return
        # the batch is taken inside the store's transaction: its lock orders concurrent
        # flushes, so rows are written (and get their ids) in the order they were queued
        batch: list[Deferred] = []
        try:
            with self._transaction() as conn:
                with self._guard:
                    batch, self._queue = self._queue, []
                for run in runs(batch):
                    self._write(conn, run)
        finally:
            # told after the commit (a reader that sees the count reads the rows), never
            # backwards (two flushes may finish in either order); a failed batch is gone
            # (rolled back) all the same: counted, so that no other worker waits for it
            with self._guard:
                self._written += len(batch)
                self._published = max(self._published, self._written)
                if self._backlogs is not None:
                    self._backlogs.written(self._published)

    def _write(self, conn: Any, run: list[Deferred]) -> None:
        """Write a run of one statement; the ids of inserted rows on each item."""
        first = run[0]
        ids: list[int | None]
        if len(run) > 1 and self._insert_rows is not None:
            ids = list(self._insert_rows(conn, first.sql, [item.params for item in run]))
        else:
            ids = []
            for item in run:
                cursor = conn.execute(item.sql, item.params)
                # the id: ``RETURNING id`` on either backend, else SQLite's ``lastrowid``
                ids.append(int(cursor.fetchone()[0]) if _RETURNING.search(item.sql)
                           else getattr(cursor, "lastrowid", None))
        for item, rowid in zip(run, ids):
            item.rowid, item.written = rowid, True

    def pending(self) -> int:
        """How many statements are queued."""
        return len(self._queue)

    def close(self) -> None:
        """Write what is queued and stop the thread; later statements are written at once."""
        self._closed = True
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._flush()

    def _start(self) -> None:
        with self._guard:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="mockserver-deferred",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        asked = self._backlogs.asked() if self._backlogs is not None else 0
        due = time.monotonic() + self._interval
        while not self._closed:
            # with other workers, look every few milliseconds whether one asks for the rows
            self._wake.wait(self._interval if self._backlogs is None else ASKED_STEP)
            if self._backlogs is not None and self._backlogs.asked() != asked:
                asked, due = self._backlogs.asked(), 0.0
            if time.monotonic() < due:
                continue
            due = time.monotonic() + self._interval
            if self._queue:
                try:
                    self._flush()
                except Exception:
                    if self._closed:  # the connection was closed under us: close() flushed
                        return
                    # the batch is lost (a full disk, a broken row); the writer goes on
                    traceback.print_exc()
