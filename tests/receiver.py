"""A real webhook receiver on 127.0.0.1 for tests: records every request it gets.

It can refuse the first N calls (status 503) or take a while per call, to test retries
and that slow receivers do not slow the API.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass
class Receiver:
    """``with Receiver() as r: ... r.url ... r.received``."""

    fail_first: int = 0
    delay_seconds: float = 0.0
    received: list[Received] = field(default_factory=list)
    attempts: int = 0

    def __post_init__(self) -> None:
        outer = self
        self._arrived = threading.Condition()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                with outer._arrived:
                    outer.attempts += 1
                    refuse = outer.attempts <= outer.fail_first
                    outer._arrived.notify_all()
                if outer.delay_seconds:
                    time.sleep(outer.delay_seconds)  # a slow receiver, on purpose
                self.send_response(503 if refuse else 200)
                self.send_header("content-length", "0")
                self.end_headers()
                if not refuse:
                    with outer._arrived:
                        outer.received.append(Received(
                            self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                        outer._arrived.notify_all()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        """Block until ``count`` deliveries arrived (a condition wait, not a sleep loop)."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)

    def wait_attempts(self, count: int, timeout: float = 15.0) -> int:
        """Block until ``count`` calls started (answered or not); returns the count."""
        with self._arrived:
            self._arrived.wait_for(lambda: self.attempts >= count, timeout)
            return self.attempts

    def __enter__(self) -> "Receiver":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
