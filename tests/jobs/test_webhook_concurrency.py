"""Webhook attempts in flight are bounded (``memory.webhook_in_flight``): due deliveries
wait their turn in SQLite instead of each holding a connection and a task."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from live import LiveServer
from mockserver.core.settings import Settings

DELIVERIES = 6
IN_FLIGHT = 2


class HoldingReceiver:
    """Holds every POST until ``release`` is set; records how many were held at once."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.changed = threading.Condition()
        self.active = self.most = self.done = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("content-length", "0")))
                with outer.changed:
                    outer.active += 1
                    outer.most = max(outer.most, outer.active)
                    outer.changed.notify_all()
                outer.release.wait(30)
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()
                with outer.changed:
                    outer.active -= 1
                    outer.done += 1
                    outer.changed.notify_all()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, predicate, timeout: float = 20.0) -> bool:
        with self.changed:
            return self.changed.wait_for(predicate, timeout)

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_at_most_the_configured_attempts_run_at_once(tmp_path: Path) -> None:
    receiver = HoldingReceiver()
    settings = Settings(state_path=str(tmp_path / "s.db"), clock="manual",
                        config={"memory": {"webhook_in_flight": IN_FLIGHT}})
    try:
        with LiveServer(settings) as live:
            for i in range(DELIVERIES):
                live.services.webhooks.enqueue("musicgpt", f"t{i}", receiver.url, b"{}", {})
            assert receiver.wait(lambda: receiver.active >= IN_FLIGHT)
            # Every delivery is due at once: without the bound the rest arrive within
            # milliseconds; with it none may arrive while two are held.
            assert not receiver.wait(lambda: receiver.active > IN_FLIGHT, timeout=1.0)
            receiver.release.set()
            assert receiver.wait(lambda: receiver.done == DELIVERIES)
            states = _final_states(live)
    finally:
        receiver.close()
    assert receiver.most == IN_FLIGHT
    assert states == ["delivered"] * DELIVERIES


def _final_states(live: LiveServer, timeout: float = 10.0) -> list[str]:
    """Delivery states once none is pending (the sender records an attempt after the
    receiver has answered, so the record can trail the receiver by a moment)."""
    deadline = time.monotonic() + timeout
    while True:
        states = [d.state for d in live.services.webhooks.list()]
        if "pending" not in states or time.monotonic() > deadline:
            return states
        time.sleep(0.02)
