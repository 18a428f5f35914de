"""Every route end to end on the manual clock: submit, processing -> ready (FLAC outputs) or
failed, and the signed Standard Webhooks callback."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile
from connexion.json_schema import Draft4ResponseValidator
from soundpiece_helpers import KEY, ROUTES, SONG, advance, body_for, client, poll, submit
from standardwebhooks.webhooks import Webhook as StandardWebhook

from live import LiveServer
from mockserver.core.settings import Settings
from mockserver.openapi.spec_index import index_for
from mockserver.providers.soundpiece.model import DEFAULT_WEBHOOK_SECRET, job_seconds
from mockserver.testing.servers import Receiver
from spec_check import assert_documented

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture(scope="module")
def live(manual_server: LiveServer) -> LiveServer:
    return manual_server


def _documented(route: str, method: str, body: dict) -> None:
    assert_documented("soundpiece", method, f"/v1/{route}", 200, body)


def _decode(data: bytes) -> tuple[np.ndarray, int]:
    samples, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return samples, rate


@pytest.mark.parametrize("route", list(ROUTES))
def test_submit_poll_ready_and_fetch_every_output(live: LiveServer, route: str) -> None:
    key, _, seconds = ROUTES[route]
    body = body_for(route)
    with client(live) as c:
        put = c.put(f"/v1/{route}", json=body)
        _documented(route, "PUT", put.json())
        op = put.json()[key]
        assert op["status"] == "processing" and op["outputs"] is None and op["error"] is None
        assert op["idempotency_key"] == body["idempotency_key"]
        for field, value in body.items():
            if field not in ("idempotency_key", "callback_url"):
                assert op[field] == value, field  # the request is echoed
        advance(live, job_seconds(round(seconds * 44100)) - 0.5)
        still = c.get(f"/v1/{route}", params={"id": op["id"]})
        _documented(route, "GET", still.json())
        assert still.json()[key]["status"] == "processing"
        advance(live, 0.5)
        ready = c.get(f"/v1/{route}", params={"id": op["id"]}).json()
        _documented(route, "GET", ready)
        outputs = ready[key]["outputs"]
        assert ready[key]["status"] == "ready" and ready[key]["error"] is None
        assert len(outputs) == body.get("n_variations", 1)
        decoded = []
        for output in outputs:
            fetched = httpx.get(output["url"])
            assert fetched.status_code == 200 and fetched.headers["content-type"] == "audio/flac"
            samples, rate = _decode(fetched.content)
            assert rate == 44100 and samples.shape[1] == 2
            assert len(samples) == round(output["duration"] * 44100)
            assert output["duration"] == pytest.approx(seconds, abs=1 / 44100)
            assert np.abs(samples).max() > 0.01, "an output is silent"
            decoded.append(samples)
    for i in range(len(decoded)):
        for j in range(i + 1, len(decoded)):
            assert not np.allclose(decoded[i], decoded[j], atol=1e-3), "variations are equal"


def test_ids_are_op_and_26_base36_characters(live: LiveServer) -> None:
    with client(live) as c:
        ids = [submit(c, SONG, body_for(SONG))["id"] for _ in range(3)]
    assert len(set(ids)) == 3
    for op_id in ids:
        assert op_id.startswith("op_") and len(op_id) == 29
        assert set(op_id[3:]) <= set("0123456789abcdefghijklmnopqrstuvwxyz")


def test_ids_are_deterministic_from_seed_and_order(tmp_path: Path) -> None:
    def first_ids(seed: int, name: str) -> list[str]:
        settings = Settings(state_path=str(tmp_path / name), clock="manual", seed=seed)
        with LiveServer(settings) as server, client(server) as c:
            return [submit(c, SONG, body_for(SONG))["id"] for _ in range(2)]

    assert first_ids(7, "a.db") == first_ids(7, "b.db")
    assert first_ids(7, "c.db") != first_ids(8, "d.db")


@pytest.mark.parametrize("how", ["marker", "admin rule"])
def test_failed_operation_has_an_error_and_no_outputs(live: LiveServer, how: str) -> None:
    prompt = "rock song [mock:fail]" if how == "marker" else "rock song, doomed"
    if how == "admin rule":
        rule = httpx.post(live.url + "/_mock/failures",
                          json={"provider": "soundpiece", "count": 1, "match": "doomed"})
        assert rule.status_code == 201
    with client(live) as c:
        op = submit(c, SONG, body_for(SONG, prompt=prompt))
        advance(live, 60)
        failed = c.get(f"/v1/{SONG}", params={"id": op["id"]}).json()
        again = poll(c, SONG, submit(c, SONG, body_for(SONG, prompt=prompt))["id"])
    _documented(SONG, "GET", failed)
    assert failed["song"]["status"] == "failed" and failed["song"]["outputs"] is None
    assert failed["song"]["error"]["code"] and failed["song"]["error"]["message"]
    if how == "admin rule":
        assert again["status"] == "processing"  # the rule failed one submission only


def _webhook_schema() -> Draft4ResponseValidator:
    index = index_for("soundpiece")
    return index.response_validator(index.spec["components"]["schemas"]["WebhookEvent"])


@pytest.mark.parametrize("outcome", ["ready", "failed"])
def test_webhook_is_signed_per_standard_webhooks(tmp_path: Path, outcome: str) -> None:
    config = {"providers": {"soundpiece": {"webhook_secrets": {KEY: SECRET}}}}
    settings = Settings(state_path=str(tmp_path / "s.db"), clock="manual", config=config)
    prompt = "synthwave" + (" [mock:fail]" if outcome == "failed" else "")
    with LiveServer(settings) as server, Receiver() as receiver, client(server) as c:
        op = submit(c, SONG, body_for(SONG, prompt=prompt, callback_url=receiver.url))
        advance(server, 30)
        got = receiver.wait_received(1)
        polled = poll(c, SONG, op["id"])
        now = int(httpx.get(server.url + "/_mock/clock").json()["now"])
        outputs = got[0].json()["data"]["outputs"] or []
        audio = [httpx.get(output["url"]) for output in outputs]
    assert len(got) == 1
    event = got[0].json()
    StandardWebhook(SECRET).verify(got[0].body, got[0].headers)  # raises when the signature is bad
    assert got[0].headers["webhook-id"] == f"msg_{op['id']}"
    assert got[0].headers["webhook-timestamp"] == str(now)
    assert event["type"] == f"{SONG}.{outcome}"
    assert not list(_webhook_schema().iter_errors(event))
    data = event["data"]
    assert data["id"] == op["id"] and data["status"] == outcome
    assert {k: v for k, v in data.items() if k != "outputs"} == {
        k: v for k, v in polled.items() if k != "outputs"}
    assert len(audio) == (2 if outcome == "ready" else 0)
    assert all(a.status_code == 200 and a.content[:4] == b"fLaC" for a in audio)


def test_default_secret_signs_and_null_secret_sends_nothing(tmp_path: Path) -> None:
    def deliveries(config: dict, name: str) -> list[dict]:
        settings = Settings(state_path=str(tmp_path / name), clock="manual",
                            config={"providers": {"soundpiece": config}})
        with LiveServer(settings) as server, Receiver() as receiver, client(server) as c:
            submit(c, "create.new_fx", body_for("create.new_fx", callback_url=receiver.url))
            advance(server, 30)  # finalizes the operation (and queues any callback) at once
            got = receiver.wait_received(1) if not config else []
            hooks = httpx.get(server.url + "/_mock/webhooks").json()["deliveries"]
        if got:
            StandardWebhook(DEFAULT_WEBHOOK_SECRET).verify(got[0].body, got[0].headers)
        return hooks

    assert len(deliveries({}, "default.db")) == 1
    assert deliveries({"webhook_secret": None}, "none.db") == []


def test_webhook_body_is_the_poll_dto_unwrapped(live: LiveServer) -> None:
    with Receiver() as receiver, client(live) as c:
        route = "create.new_sample"
        op = submit(c, route, body_for(route, callback_url=receiver.url))
        advance(live, 30)
        event = receiver.wait_received(1)[0].json()
    assert event["type"] == "create.new_sample.ready"
    assert json.loads(json.dumps(event["data"]))["duration"] == op["duration"]
