"""A real server process killed with SIGKILL mid-lifecycle loses nothing on restart."""

from __future__ import annotations

from pathlib import Path

import httpx

from live import ServerProcess
from mockserver.testing.servers import Receiver

KEY = {"Authorization": "crash-key"}
BASE = "/musicgpt/api/public/v1"


def _advance(url: str, seconds: float) -> None:
    assert httpx.post(url + "/_mock/clock/advance", json={"seconds": seconds}).status_code == 200


def _status(url: str, task_id: str) -> str:
    response = httpx.get(url + BASE + "/byId", headers=KEY,
                         params={"conversionType": "SOUND_GENERATOR", "task_id": task_id})
    assert response.status_code == 200, response.text
    return response.json()["conversion"]["status"]


def test_sigkill_mid_lifecycle_then_restart(tmp_path: Path) -> None:
    args = ["--state", str(tmp_path / "state.db"), "--clock", "manual",
            "--config", str(_config(tmp_path))]
    with Receiver(fail_first=1) as receiver:
        with ServerProcess(args, cwd=tmp_path) as first:
            early = httpx.post(first.url + BASE + "/sound_generator", headers=KEY,
                               data={"prompt": "calm piano", "audio_length": "4",
                                     "webhook_url": receiver.url}).json()
            late = httpx.post(first.url + BASE + "/sound_generator", headers=KEY,
                              data={"prompt": "fast drums", "audio_length": "4",
                                    "webhook_url": receiver.url}).json()
            _advance(first.url, 600)  # both terminal: the first webhook attempt is refused
            assert receiver.wait_attempts(1) >= 1
            journal_before = httpx.get(first.url + "/_mock/journal").json()["entries"]
            first.kill()
        with ServerProcess(args, cwd=tmp_path) as second:
            # Tasks continue: both are still known and terminal.
            assert _status(second.url, early["task_id"]) == "COMPLETED"
            assert _status(second.url, late["task_id"]) == "COMPLETED"
            # Pending deliveries are picked up again and delivered after their backoff.
            _advance(second.url, 120)
            got = receiver.wait_received(2)
            deliveries = httpx.get(second.url + "/_mock/webhooks").json()["deliveries"]
            journal_after = httpx.get(second.url + "/_mock/journal").json()["entries"]
    assert {g.json()["task_id"] for g in got} == {early["task_id"], late["task_id"]}
    assert all(d["state"] == "delivered" for d in deliveries)
    assert len(journal_after) >= len(journal_before), "journal entries survive the crash"


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "mockserver.yaml"
    path.write_text("webhooks:\n  backoff_seconds: 5\n  attempts: 5\n")
    return path
