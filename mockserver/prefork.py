"""``mockserver serve --workers N``: N server processes behind one port, sharing one state.

The command binds the listening socket and checks the whole configuration once (building
the app, which also migrates the state file), then forks N workers. Each worker opens its
own connection to the SQLite file, builds its own app and runs uvicorn on the inherited
socket; the kernel hands each new connection to one of them. What workers cache in memory
is kept in step through change marks in shared memory (``core/marks.py``), and the
background loops run in the one worker holding the lease (``core/lease.py``).

This process only supervises: it forwards SIGTERM/SIGINT to the workers, and starts a new
worker when one dies (a ``kill -9`` included), unless workers keep dying as they start.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import sys
import time
import traceback

import uvicorn

from mockserver.core.marks import ChangeMarks
from mockserver.core.services import Services
from mockserver.core.settings import Settings

_QUICK_DEATH_SECONDS = 5.0
_QUICK_DEATHS_ALLOWED = 3
"""A worker that dies this soon after starting, this many times in a row, stops the server."""


def run_workers(settings: Settings, sock: socket.socket, count: int) -> int:
    """Fork ``count`` workers serving ``sock`` and supervise them; the exit status."""
    marks = ChangeMarks.shared(count)
    started: dict[int, tuple[float, int]] = {}  # pid -> when it was forked, its number
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(started):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def fork(number: int) -> None:
        pid = os.fork()
        if pid == 0:
            os._exit(_worker(settings, sock, marks.for_worker(number)))
        started[pid] = (time.monotonic(), number)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for number in range(count):
        fork(number)
    quick_deaths, status = 0, 0
    while started:
        pid, code = os.wait()
        ended = started.pop(pid, None)
        if ended is None or stopping:
            continue
        born, number = ended
        marks.settle(number)  # its queued journal rows died with it: nobody waits for them
        quick_deaths = quick_deaths + 1 if time.monotonic() - born < _QUICK_DEATH_SECONDS else 0
        if quick_deaths >= _QUICK_DEATHS_ALLOWED:
            print(f"mockserver: workers keep dying as they start (last: {_how(code)});"
                  " stopping", file=sys.stderr, flush=True)
            status = 1
            stop(signal.SIGTERM, None)
            continue
        print(f"mockserver: worker {pid} ended ({_how(code)}); starting another",
              file=sys.stderr, flush=True)
        fork(number)
    return status


def _worker(settings: Settings, sock: socket.socket, marks: ChangeMarks) -> int:
    """One worker's life (in the forked child); its exit status."""
    from mockserver.http.app import create_app  # the edge is above core: imported here

    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # uvicorn installs its own
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    _die_with_parent()
    try:
        app = create_app(settings, Services.create(settings, marks))
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        server.run(sockets=[sock])
    except BaseException:  # noqa: BLE001 (a worker reports whatever ended it)
        traceback.print_exc()
        return 1
    return 0


def _die_with_parent() -> None:
    """Have the kernel send SIGTERM to this worker when the supervisor dies (Linux), so a
    ``kill -9`` of ``serve`` leaves no worker holding the port."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() == 1:  # the supervisor died before prctl ran
        os._exit(1)


def _how(code: int) -> str:
    """A wait status in words."""
    if os.WIFSIGNALED(code):
        return f"killed by signal {os.WTERMSIG(code)}"
    return f"exit status {os.waitstatus_to_exitcode(code)}"
