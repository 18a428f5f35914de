"""Which recorded answer a replayed request gets: a job's polls on the mock's clock, other
repeated requests in recorded order; and ``mockserver serve --replay`` from the command line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
from recording_helpers import REPLAY_SEED, record, replay_server
from session import AUTH, Step

from live import LiveServer, ServerProcess
from mockserver.testing.apps import mock_settings

BYID = "/musicgpt/api/public/v1/byId"


def poll_script(client: httpx.Client, advance: Callable[[float], None]) -> list[Step]:
    """A MusicGPT job polled at its submit and 120 s later; Muzaic's balance read twice
    with a charge between."""
    steps: list[Step] = []
    submit = client.post("/musicgpt/api/public/v1/sound_generator", headers=AUTH["musicgpt"],
                         data={"prompt": "rain", "audio_length": "2"})
    steps.append(("submit", submit))
    query = {"conversionType": "SOUND_GENERATOR", "task_id": submit.json()["task_id"]}
    steps.append(("queued", client.get(BYID, params=query, headers=AUTH["musicgpt"])))
    steps.append(("balance 1", client.get("/muzaic/accountDetails", headers=AUTH["muzaic"])))
    client.post("/muzaic/singleFile", json={"duration": 2}, headers=AUTH["muzaic"])
    steps.append(("balance 2", client.get("/muzaic/accountDetails", headers=AUTH["muzaic"])))
    advance(120)
    steps.append(("done", client.get(BYID, params=query, headers=AUTH["musicgpt"])))
    return steps


def status(response: httpx.Response) -> str:
    """A MusicGPT poll's conversion status."""
    assert response.status_code == 200, response.text
    return response.json()["conversion"]["status"]


def test_polls_follow_the_mock_clock_and_other_repeats_the_recorded_order(tmp_path: Path) -> None:
    recording = record(tmp_path / "recorded", poll_script)
    answers = dict(recording.steps)
    assert (status(answers["queued"]), status(answers["done"])) == ("IN_QUEUE", "COMPLETED")
    with replay_server(recording, tmp_path) as live, live.client() as client:
        task = client.post("/musicgpt/api/public/v1/sound_generator", headers=AUTH["musicgpt"],
                           data={"prompt": "rain", "audio_length": "2"}).json()["task_id"]
        query = {"conversionType": "SOUND_GENERATOR", "task_id": task}

        def poll() -> str:
            return status(client.get(BYID, params=query, headers=AUTH["musicgpt"]))

        def advance(seconds: float) -> None:
            client.post("/_mock/clock/advance", json={"seconds": seconds})

        early = [poll(), poll()]  # not in recorded order: by the clock, both before 120 s
        advance(119)
        before = poll()
        advance(1)
        after = [poll(), poll()]
        balances = [client.get("/muzaic/accountDetails", headers=AUTH["muzaic"]).content
                    for _ in range(3)]
    assert early == ["IN_QUEUE", "IN_QUEUE"] and before == "IN_QUEUE"
    assert after == ["COMPLETED", "COMPLETED"]
    recorded = [answers["balance 1"].content, answers["balance 2"].content]
    assert recorded[0] != recorded[1]
    assert balances == [recorded[0], recorded[1], recorded[1]]  # in order, then the last again


def test_serve_replay_strict_from_the_command_line(tmp_path: Path) -> None:
    recording = record(tmp_path / "recorded", poll_script)
    args = ["--clock", "manual", "--state", str(tmp_path / "serve.db"),
            "--replay", str(recording.directory), "--replay-strict"]
    with ServerProcess(args, cwd=tmp_path) as server, httpx.Client(base_url=server.url) as client:
        replayed = client.get("/muzaic/accountDetails", headers={"MuzaicAPI-Secret-Key": "k"})
        refused = client.get("/muzaic/getTags", headers={"MuzaicAPI-Secret-Key": "k"})
    assert replayed.content == dict(recording.steps)["balance 1"].content
    assert refused.status_code == 501
    assert "nearest recorded: GET /accountDetails" in refused.json()["error"]
    assert "path: expected \"/accountDetails\", got \"/getTags\"" in refused.json()["error"]


def test_a_recording_replays_on_a_server_with_another_layout(tmp_path: Path) -> None:
    # recorded with every provider under its prefix, replayed with MusicGPT alone at the root
    recording = record(tmp_path / "recorded", poll_script)
    answers = dict(recording.steps)
    settings = mock_settings(state_path=str(tmp_path / "root.db"), providers=["musicgpt"],
                             replay=str(recording.directory), seed=REPLAY_SEED)
    with LiveServer(settings) as live, live.client() as client:
        submit = client.post("/api/public/v1/sound_generator", headers=AUTH["musicgpt"],
                             data={"prompt": "rain", "audio_length": "2"})
    assert submit.content == answers["submit"].content


def test_a_body_over_the_limit_is_refused_before_replay_holds_it(tmp_path: Path) -> None:
    """The replaying server reads a request's body to match it, bounded as the mock's edge."""
    (tmp_path / "cassettes").mkdir()
    with LiveServer(mock_settings(state_path=str(tmp_path / "r.db"),
                                 replay=str(tmp_path / "cassettes"), replay_strict=True,
                                 config={"limits": {"body_bytes": 1000}})) as live:
        big = httpx.post(live.url + "/muzaic/singleFile", content=b"{" + b" " * 5000 + b"}",
                         headers={"MuzaicAPI-Secret-Key": "k", "Content-Type": "application/json"})
        small = httpx.post(live.url + "/muzaic/singleFile", json={"duration": 1},
                           headers={"MuzaicAPI-Secret-Key": "k"})
    assert big.status_code == 413 and "limits.body_bytes" in big.text
    assert small.status_code == 501  # strict: within the limit, matched (nothing recorded)
