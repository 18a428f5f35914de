"""Job and webhook fault rules reach the job a request submits and that job's webhook.

Each test posts a rule to ``/_mock/faults`` that matches one request by an ``x-case-*``
header, so every submit goes through the fault middleware and a provider's own handler on a
real server (manual clock, real SQLite, the background engine and sender) and webhooks reach
a real ``Receiver``.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook as StandardWebhook

from mockserver.core.jobs import tasks, webhooks
from mockserver.core.jobs.webhook_faults import OUT_OF_ORDER_SECONDS
from mockserver.core.services import Services
from mockserver.core.settings import Settings
from mockserver.http.app import create_app
from mockserver.testing.servers import LocalServer, Receiver

MUSICGPT, MUSICGPT_KEY = "/musicgpt/api/public", "musicgpt-test-key"
SOUNDPIECE_KEY, SOUNDPIECE_SECRET = "spk_test_key", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
DONE = 60  # seconds of mock time after which a 1-second MusicGPT job is terminal


@contextmanager
def _server(tmp_path: Path, config: dict[str, Any] | None = None) -> Iterator[LocalServer]:
    settings = Settings(state_path=str(tmp_path / "s.db"), clock="manual", config=config or {})
    with LocalServer(create_app(settings)) as live:
        yield live


def _services(live: LocalServer) -> Services:
    return live.app.services  # type: ignore[attr-defined]


def _faults(live: LocalServer, job: bool = False,
            webhook: dict[str, Any] | None = None) -> tuple[dict[str, str], int]:
    """A fault rule for the request sent with the returned headers: (headers, rule id)."""
    case = uuid.uuid4().hex
    name = f"x-case-{case[:8]}"
    action: dict[str, Any] = {"job": "fail"} if job else {}
    action.update(webhook or {})
    made = httpx.post(live.url + "/_mock/faults",
                      json={"headers": {name: case}, "action": action})
    assert made.status_code == 201, made.text
    return {name: case}, int(made.json()["id"])


def _musicgpt(live: LocalServer) -> httpx.Client:
    return httpx.Client(base_url=live.url + MUSICGPT, timeout=30,
                        headers={"Authorization": MUSICGPT_KEY})


def _generate(api: httpx.Client, prompt: str, hook: str, **headers: str) -> str:
    """Submit a 1-second MusicGPT sound with a webhook; the task id."""
    response = api.post("/v1/sound_generator", headers=headers,
                        data={"prompt": prompt, "audio_length": "1", "webhook_url": hook})
    assert response.status_code == 200, response.text
    return str(response.json()["task_id"])


def _spoiled_and_plain(live: LocalServer, api: httpx.Client, hook: str,
                       webhook: dict[str, Any]) -> tuple[str, str, int]:
    """A task whose webhook a ``webhook`` fault rule spoils, then one without: their ids
    and the rule's."""
    headers, rule = _faults(live, webhook=webhook)
    spoiled = _generate(api, "spoiled", hook, **headers)
    return spoiled, _generate(api, "plain", hook), rule


def _when_done(live: LocalServer, receiver: Receiver,
               count: int) -> tuple[list[str], dict[str, list[dict[str, Any]]]]:
    """Move the clock past the jobs' end; the task ids of the first ``count`` webhooks
    received, in order, and the deliveries then recorded."""
    _advance(live, DONE)
    got = receiver.wait_received(count)
    return [hook.json()["task_id"] for hook in got], _deliveries(live)


def _advance(live: LocalServer, seconds: float) -> None:
    assert httpx.post(live.url + "/_mock/clock/advance", json={"seconds": seconds}).is_success


def _now(live: LocalServer) -> float:
    return float(httpx.get(live.url + "/_mock/clock").json()["now"])


def _deliveries(live: LocalServer) -> dict[str, list[dict[str, Any]]]:
    """The admin API's deliveries by task id, oldest first."""
    found: dict[str, list[dict[str, Any]]] = {}
    for record in reversed(httpx.get(live.url + "/_mock/webhooks").json()["deliveries"]):
        found.setdefault(record["task_id"], []).append(record)
    return found


def _status(api: httpx.Client, task_id: str) -> str:
    response = api.get("/v1/byId", params={"conversionType": "SOUND_GENERATOR",
                                           "task_id": task_id})
    assert response.status_code == 200, response.text
    return str(response.json()["conversion"]["status"])


def test_a_job_fault_fails_the_job_as_the_fail_marker_does(tmp_path: Path) -> None:
    with Receiver() as receiver, _server(tmp_path) as live, _musicgpt(live) as api:
        _services(live).failures.add("musicgpt", count=1, match="never in a prompt")
        armed = _generate(api, "birdsong", receiver.url, **_faults(live, job=True)[0])
        marked = _generate(api, "birdsong [mock:fail]", receiver.url)
        _advance(live, DONE)
        hooks = {hook.json()["task_id"]: hook.json() for hook in receiver.wait_received(2)}
        polled = {task: _status(api, task) for task in (armed, marked)}
        rules = _services(live).failures.list()
    assert polled == {armed: "FAILED", marked: "FAILED"}
    assert hooks[armed]["status"] == hooks[marked]["status"] == "FAILED"
    assert hooks[armed]["audio_url"] is None
    assert hooks[armed]["status_msg"] == hooks[marked]["status_msg"]
    assert [rule["remaining"] for rule in rules] == [1]  # no /_mock/failures rule used up


def test_a_failed_webhook_is_recorded_and_never_sent(tmp_path: Path) -> None:
    with Receiver() as receiver, _server(tmp_path) as live, _musicgpt(live) as api:
        spoiled, plain, rule = _spoiled_and_plain(live, api, receiver.url, {"webhook": "fail"})
        arrived, records = _when_done(live, receiver, 1)
        assert _status(api, spoiled) == "COMPLETED"  # the job itself is fine
    assert arrived == [plain]
    [record] = records[spoiled]
    assert record["state"] == "failed" and record["fault"] == rule
    assert len(record["attempts"]) == 1 and "status" not in record["attempts"][0]
    assert record["attempts"][0]["error"].startswith(f"fault rule {rule}:")
    assert records[plain][0]["fault"] is None


def test_a_late_webhook_arrives_when_the_clock_passes_its_delay(tmp_path: Path) -> None:
    with Receiver() as receiver, _server(tmp_path) as live, _musicgpt(live) as api:
        late, plain, rule = _spoiled_and_plain(live, api, receiver.url,
                                               {"webhook": "late", "seconds": 30})
        first, records = _when_done(live, receiver, 1)
        [waiting] = records[late]
        due = _now(live) + 30
        _advance(live, 30)
        both = receiver.wait_received(2)
    assert first == [plain]
    assert waiting["state"] == "pending" and waiting["attempts"] == []
    assert waiting["next_attempt_at"] == due and waiting["fault"] == rule
    assert [hook.json()["task_id"] for hook in both] == [plain, late]


def test_a_webhook_twice_is_the_same_signed_message_twice(tmp_path: Path) -> None:
    config = {"providers": {"soundpiece": {"webhook_secrets": {SOUNDPIECE_KEY: SOUNDPIECE_SECRET}}}}
    with Receiver() as receiver, _server(tmp_path, config) as live, \
            httpx.Client(base_url=live.url + "/soundpiece", timeout=30, headers={
                "Authorization": f"Bearer {SOUNDPIECE_KEY}"}) as api:
        headers, rule = _faults(live, webhook={"webhook": "twice"})
        response = api.put("/v1/create.new_fx", headers=headers, json={
            "idempotency_key": str(uuid.uuid4()), "prompt": "a door creaks", "callback_url": receiver.url})
        assert response.status_code == 200, response.text
        op = response.json()["fx"]["id"]
        _advance(live, DONE)
        got = receiver.wait_received(2)
        records = _deliveries(live)[op]
    assert len(got) == 2
    assert got[0].body == got[1].body and got[0].headers == got[1].headers
    assert got[0].headers["webhook-id"] == f"msg_{op}"
    for hook in got:
        StandardWebhook(SOUNDPIECE_SECRET).verify(hook.body, hook.headers)
    assert [record["fault"] for record in records] == [rule, rule]


def test_an_out_of_order_webhook_waits_for_a_later_one(tmp_path: Path) -> None:
    with Receiver() as receiver, _server(tmp_path) as live, _musicgpt(live) as api:
        held, later, rule = _spoiled_and_plain(live, api, receiver.url,
                                               {"webhook": "out_of_order"})
        arrived, records = _when_done(live, receiver, 2)
    assert arrived == [later, held]
    assert records[held][0]["fault"] == rule and records[later][0]["fault"] is None


def test_an_out_of_order_webhook_alone_is_sent_after_its_longest_wait(tmp_path: Path) -> None:
    with Receiver() as receiver, _server(tmp_path) as live, _musicgpt(live) as api:
        alone = _generate(api, "solo", receiver.url, **_faults(
            live, webhook={"webhook": "out_of_order"})[0])
        bounded = _generate(api, "solo", receiver.url, **_faults(
            live, webhook={"webhook": "out_of_order", "seconds": 10})[0])
        _advance(live, DONE)
        due = _now(live)
        waiting = {task: records[0] for task, records in _deliveries(live).items()}
        _advance(live, 10)
        first = receiver.wait_received(1)
        _advance(live, OUT_OF_ORDER_SECONDS - 10)
        both = receiver.wait_received(2)
    assert waiting[alone]["next_attempt_at"] == due + OUT_OF_ORDER_SECONDS
    assert waiting[bounded]["next_attempt_at"] == due + 10
    assert all(record["state"] == "pending" and not record["attempts"]
               for record in waiting.values())
    assert [hook.json()["task_id"] for hook in first] == [bounded]
    assert [hook.json()["task_id"] for hook in both] == [bounded, alone]


def test_a_replay_arms_nothing_again(tmp_path: Path) -> None:
    with Receiver() as receiver, _server(tmp_path) as live, _musicgpt(live) as api:
        form = {"prompt": "owls", "audio_length": "1", "webhook_url": receiver.url}
        twice, rule = _faults(live, webhook={"webhook": "twice"})
        first = api.post("/v1/sound_generator", data=form, headers={
            "Idempotency-Key": "k1", **twice})
        again = api.post("/v1/sound_generator", data=form, headers={
            "Idempotency-Key": "k1", **_faults(live, job=True)[0], **_faults(
                live, webhook={"webhook": "fail"})[0]})
        task = first.json()["task_id"]
        _advance(live, DONE)
        got = receiver.wait_received(2)
        status = _status(api, task)
        records = _deliveries(live)
        count = _services(live).tasks.count("musicgpt")
    assert again.content == first.content and count == 1
    assert status == "COMPLETED" and len(got) == 2
    assert [(record["fault"], record["state"] != "failed") for record in records[task]] == [
        (rule, True), (rule, True)]


def test_a_state_file_from_before_opens_and_reads_without_faults(tmp_path: Path) -> None:
    """Tables made before the fault columns get them when the file is opened."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:
        old.executescript(tasks.SCHEMA_SQL.replace("    webhook_fault TEXT,\n", ""))
        old.executescript(webhooks.SCHEMA_SQL.replace(",\n    fault INTEGER", "").replace(
            ",\n    held INTEGER NOT NULL DEFAULT 0", ""))
        old.execute("INSERT INTO webhook_deliveries (provider, task_id, url, body, headers,"
                    " state, attempts, next_at, created_at) VALUES"
                    " ('musicgpt', 't1', 'http://127.0.0.1:9/', x'7b7d', '{}', 'failed', '[]',"
                    " 0, 0)")
    assert "fault" not in {row[1] for row in sqlite3.connect(path).execute(
        "PRAGMA table_info(webhook_deliveries)")}
    services = Services.create(Settings(state_path=str(path), clock="manual"))
    try:
        [delivery] = services.webhooks.list()
        columns = {row["name"] for row in services.store.all("PRAGMA table_info(tasks)")}
    finally:
        services.store.close()
    assert delivery.describe()["fault"] is None and "webhook_fault" in columns


def test_without_armed_faults_nothing_changes(tmp_path: Path) -> None:
    with Receiver() as receiver, _server(tmp_path) as live, _musicgpt(live) as api:
        task = _generate(api, "plain", receiver.url)
        stored = _services(live).tasks.get("musicgpt", task)
        _advance(live, DONE)
        got = receiver.wait_received(1)
        [record] = _deliveries(live)[task]
        status = _status(api, task)
    assert stored is not None and stored.webhook_fault is None
    assert status == "COMPLETED" and [hook.json()["status"] for hook in got] == ["COMPLETED"]
    assert record["fault"] is None
