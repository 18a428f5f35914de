"""What this test process tried to reach: every ``socket.connect`` and name lookup, seen
through Python's audit hooks (PEP 578), which fire before the operation runs.

Tests of refused webhook targets assert through it that no connection (nor DNS lookup) to
anything but loopback was even attempted. Servers under test run in this process
(``LiveServer``), so their sender is watched too. Audit hooks cannot be removed: one hook
is installed at import and records only while a ``watch()`` is open.
"""

from __future__ import annotations

import ipaddress
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_watchers: list[list[tuple[str, str]]] = []


def _hook(event: str, args: tuple) -> None:
    if event == "socket.connect":
        address = args[1]
        target = str(address[0]) if isinstance(address, tuple) else str(address)
    elif event == "socket.getaddrinfo":
        target = args[0].decode() if isinstance(args[0], bytes) else str(args[0])
    else:
        return
    with _lock:
        for seen in _watchers:
            seen.append((event, target))


sys.addaudithook(_hook)


@contextmanager
def watch() -> Iterator[list[tuple[str, str]]]:
    """Record ``(event, host)`` for every connect and lookup while the block runs."""
    seen: list[tuple[str, str]] = []
    with _lock:
        _watchers.append(seen)
    try:
        yield seen
    finally:
        with _lock:
            _watchers.remove(seen)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or ``localhost``; a Unix socket path counts as local too."""
    if host in ("localhost", "") or host.startswith("/"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def off_loopback(seen: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The recorded events that went (or would have gone) beyond this machine."""
    return [(event, host) for event, host in seen if not is_loopback(host)]
