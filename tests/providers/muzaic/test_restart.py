"""State lives in SQLite: a restart keeps regions, files and accounts."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
from audiocheck import ffmpeg_decode

from live import LiveServer, ServerProcess
from mockserver.core.settings import Settings

KEY = {"MuzaicAPI-Secret-Key": "restart-key"}


def test_region_hash_made_before_a_restart_can_be_copied_after_it(tmp_path: Path) -> None:
    settings = Settings(state_path=str(tmp_path / "state.db"))
    with LiveServer(settings) as first, first.client("/muzaic", headers=KEY) as client:
        made = client.post("/singleFile", json={"duration": 3, "tags": [2]}).json()
        used_before = client.get("/accountDetails").json()["tokensUsed"]
    with LiveServer(settings) as second, second.client("/muzaic", headers=KEY) as client:
        copied = client.post("/soundtrack", json={"regions": [
            {"time": 0, "duration": 3, "action": "copy", "sourceHash": made["hash"]}]})
        again = client.get(made["mp3"].split("/muzaic", 1)[1])
        details = client.get("/accountDetails").json()
    assert copied.status_code == 200, copied.text
    assert again.status_code == 200
    original = ffmpeg_decode(again.content)
    copy = ffmpeg_decode(base64.b64decode(copied.json()["mp3"]))
    assert len(copy) == len(original)
    assert details["tokensUsed"] == used_before + 3


def test_real_process_restart_keeps_state(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    args = ["--state", str(state)]
    with ServerProcess(args, cwd=tmp_path) as proc:
        made = httpx.post(proc.url + "/muzaic/singleFile", json={"duration": 2}, headers=KEY).json()
    with ServerProcess(args, cwd=tmp_path) as proc:
        response = httpx.post(proc.url + "/muzaic/audioFromHash", headers=KEY,
                              json={"sourceHash": made["hash"]}, timeout=60)
    assert response.status_code == 200, response.text
