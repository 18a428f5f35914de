"""The background loops rest when there is nothing to do, and stop promptly."""

from __future__ import annotations

import time
from pathlib import Path

from live import LiveServer
from mockserver.core.settings import Settings
from mockserver.testing.servers import Receiver


def test_an_idle_server_does_not_spin(tmp_path: Path) -> None:
    with LiveServer(Settings(state_path=str(tmp_path / "s.db"), clock="manual")):
        started = time.process_time()
        time.sleep(1.0)  # idle on purpose: measuring what the background loops do meanwhile
        used = time.process_time() - started
    # A loop that wakes itself burns a whole core (~1 s of CPU per second).
    assert used < 0.5, f"an idle server used {used:.2f} s of CPU in 1 s"


def test_a_webhook_in_flight_does_not_hold_up_shutdown(tmp_path: Path) -> None:
    with Receiver(delay_seconds=5) as receiver:
        live = LiveServer(Settings(state_path=str(tmp_path / "s.db"), clock="manual"))
        with live:
            live.services.webhooks.enqueue("muzaic", "t1", receiver.url, b"{}", {})
            assert receiver.wait_attempts(1) == 1
            stopping = time.perf_counter()
        stopped = time.perf_counter() - stopping
    assert stopped < 3.0, f"shutdown waited {stopped:.2f} s for a slow webhook receiver"
