"""Servers on 127.0.0.1 for the tests and the contract suite: the mock served by uvicorn in
a thread or as a child process, and a webhook receiver."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp

STARTUP_TIMEOUT = 20.0


class LocalServer:
    """An ASGI app served by uvicorn in a background thread on a free 127.0.0.1 port."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="error", lifespan="on"))
        self._thread = threading.Thread(target=self._server.run,
                                        kwargs={"sockets": [self._sock]}, daemon=True)

    def __enter__(self) -> LocalServer:
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self._server.started:  # startup only
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        services = getattr(self.app, "services", None)
        if services is not None:
            services.store.close()
        self._sock.close()


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """``mockserver serve ARGS`` as a child process on a free 127.0.0.1 port: a server with
    its own interpreter (no GIL shared with the caller) that can also be killed as in a crash.
    Its output goes to ``log`` (a file path) or is discarded."""

    def __init__(self, args: Sequence[str], cwd: Path, log: Path | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [sys.executable, "-m", "mockserver.cli", "serve", "--port", str(self.port),
                     *args]
        self.cwd = cwd
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self) -> ServerProcess:
        """Launch the process (without waiting for it to answer)."""
        output = open(self.log, "ab") if self.log else subprocess.DEVNULL
        try:
            self.proc = subprocess.Popen(self.args, cwd=self.cwd, stdout=output,
                                         stderr=subprocess.STDOUT, env={**os.environ})
        finally:
            if self.log:
                output.close()
        return self

    def wait_ready(self) -> ServerProcess:
        """Block until ``/_mock/health`` answers; RuntimeError if the process ends first."""
        assert self.proc is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT
        # one client for all the polls: each new one builds an SSL context (~50 ms of CPU),
        # which several servers starting at once would otherwise compete with
        with httpx.Client(timeout=1) as client:
            while True:
                try:
                    if client.get(self.url + "/_mock/health").status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.__exit__()
                    said = self.log.read_text(errors="replace")[-2000:] if self.log else ""
                    raise RuntimeError(f"mockserver serve did not start: {said}")
                time.sleep(0.05)

    def __enter__(self) -> ServerProcess:
        return self.start().wait_ready()

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers run, as in a crash."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def __exit__(self, *exc: object) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@dataclass
class Hook:
    """One webhook request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


class _Listener(ThreadingHTTPServer):
    """socketserver's default backlog (5) resets connections when a sender starts many
    attempts at once (64 by default): the receiver would be the flaky part of a test."""

    request_queue_size = 128


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1 (port 0: any free port) that records every POST.

    For tests of delivery it can refuse its first ``fail_first`` calls (503) or take
    ``delay_seconds`` per call (a slow receiver, on purpose).
    """

    port: int = 0
    fail_first: int = 0
    delay_seconds: float = 0.0
    received: list[Hook] = field(default_factory=list)
    attempts: int = 0

    def __post_init__(self) -> None:
        outer = self
        self._arrived = threading.Condition()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with outer._arrived:
                    outer.attempts += 1
                    refuse = outer.attempts <= outer.fail_first
                    outer._arrived.notify_all()
                if outer.delay_seconds:
                    time.sleep(outer.delay_seconds)
                self.send_response(503 if refuse else 200)
                self.send_header("content-length", "0")
                self.end_headers()
                if refuse:
                    return
                with outer._arrived:
                    outer.received.append(Hook(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    outer._arrived.notify_all()

            def log_message(self, *args: object) -> None:
                pass

        self._server = _Listener(("127.0.0.1", self.port), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def wait_for(self, predicate: Any, timeout: float) -> Hook | None:
        """The first received hook for which ``predicate(hook)`` holds, within ``timeout``."""
        with self._arrived:
            self._arrived.wait_for(lambda: any(predicate(h) for h in self.received), timeout)
            return next((h for h in self.received if predicate(h)), None)

    def wait_received(self, count: int, timeout: float = 15.0) -> list[Hook]:
        """Block until ``count`` deliveries were accepted (a condition wait); return them."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)

    def wait_attempts(self, count: int, timeout: float = 15.0) -> int:
        """Block until ``count`` calls started (answered or not); returns the count."""
        with self._arrived:
            self._arrived.wait_for(lambda: self.attempts >= count, timeout)
            return self.attempts

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
