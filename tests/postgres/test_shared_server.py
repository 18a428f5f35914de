"""Three ``mockserver serve`` processes on different ports sharing one PostgreSQL database act
as one server: a job submitted on one is polled on another, an idempotency key replayed on a
third gives the first answer, an account's balance is one balance."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from live import ServerProcess
from postgres_db import schema_url

MUSICGPT = "/musicgpt/api/public/v1"
MUSICGPT_KEY = {"Authorization": "shared-key"}
SOUNDPIECE = "/soundpiece/v1/create.new_song"
SOUNDPIECE_KEY = {"Authorization": "Bearer spk_shared"}


def test_three_servers_on_one_database_act_as_one(tmp_path: Path) -> None:
    args = ["--state", schema_url(), "--clock", "instant"]
    with ServerProcess(args, cwd=tmp_path) as a, ServerProcess(args, cwd=tmp_path) as b, \
            ServerProcess(args, cwd=tmp_path) as c:
        assert len({a.url, b.url, c.url}) == 3
        assert httpx.get(a.url + "/_mock/health").json()["state"] == "postgresql"

        # a job submitted on one is polled on another, and its audio fetched from the third
        job = httpx.post(a.url + MUSICGPT + "/sound_generator", headers=MUSICGPT_KEY,
                         data={"prompt": "calm piano", "audio_length": "4"})
        assert job.status_code == 200, job.text
        task_id = job.json()["task_id"]
        polled = httpx.get(b.url + MUSICGPT + "/byId", headers=MUSICGPT_KEY,
                           params={"conversionType": "SOUND_GENERATOR", "task_id": task_id})
        assert polled.status_code == 200, polled.text
        conversion = polled.json()["conversion"]
        assert conversion["status"] == "COMPLETED"
        audio_url = conversion["audio_url"]
        assert audio_url.startswith(b.url)
        audio = httpx.get(audio_url.replace(b.url, c.url, 1), timeout=60)
        assert audio.status_code == 200 and audio.content[:2] == b"\xff\xfb"  # an MP3 frame

        # an idempotency key replayed on a third server gives the first answer, no new work
        body = {"idempotency_key": str(uuid.uuid4()), "lyrics": "[Chorus]\nShared",
                "prompt": "synthwave", "n_variations": 2}
        first = httpx.put(a.url + SOUNDPIECE, headers=SOUNDPIECE_KEY, json=body)
        replay = httpx.put(c.url + SOUNDPIECE, headers=SOUNDPIECE_KEY, json=body)
        conflict = httpx.put(b.url + SOUNDPIECE, headers=SOUNDPIECE_KEY,
                             json={**body, "prompt": "something else"})
        assert first.status_code == replay.status_code == 200, first.text
        assert replay.content == first.content
        assert conflict.status_code == 409

        # one balance: what a charge on one server took, the others see
        balances = [httpx.get(s.url + "/_mock/accounts", params={"provider": "musicgpt"}).json()
                    for s in (a, b, c)]
        assert balances[0] == balances[1] == balances[2]
        # one journal: each server's requests are in it
        journal = httpx.get(c.url + "/_mock/journal", params={"limit": 100}).json()["entries"]
        assert {e["path"] for e in journal} >= {MUSICGPT + "/sound_generator", MUSICGPT + "/byId",
                                                SOUNDPIECE}
