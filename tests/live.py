"""Real servers for tests: uvicorn on 127.0.0.1 in a thread, or as a separate process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from contracts.local import LocalServer
from mockserver.app import create_app
from mockserver.settings import Settings

STARTUP_TIMEOUT = 20.0


def _bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class LiveServer(LocalServer):
    """``create_app(settings)`` served by uvicorn in a background thread on a free port."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__(create_app(settings))

    @property
    def services(self):
        """The server's shared machinery (store, clock, accounts)."""
        return self.app.services

    def client(self, prefix: str = "", **kwargs) -> httpx.Client:
        """An httpx client for ``url + prefix``."""
        return httpx.Client(base_url=self.url + prefix, timeout=120, **kwargs)


class ServerProcess:
    """``mockserver serve`` as a real child process (for restart and kill tests)."""

    def __init__(self, args: Sequence[str], cwd: Path) -> None:
        sock = _bound_socket()
        self.port = sock.getsockname()[1]
        sock.close()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [sys.executable, "-m", "mockserver.cli", "serve", "--port", str(self.port),
                     *args]
        self.cwd = cwd
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "ServerProcess":
        self.proc = subprocess.Popen(self.args, cwd=self.cwd, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env={**os.environ})
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                if httpx.get(self.url + "/_mock/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                out = self.proc.stdout.read().decode() if self.proc.stdout else ""
                raise RuntimeError(f"server did not start: {out}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers run, as in a crash."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
