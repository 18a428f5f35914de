"""The proxy in front of an upstream on 127.0.0.1, and a scripted session of every operation
of each provider (through the proxy: downloads and webhooks included)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from mockserver.providers import PROVIDERS
from mockserver.proxy.app import ProxyApp, create_proxy_app
from mockserver.testing.servers import LocalServer, Receiver

KEY = "proxy-test-key"


@dataclass
class Proxied:
    """A running proxy: its URL, base URL (the provider's paths), app and printed summary."""

    server: LocalServer
    app: ProxyApp
    printed: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def base_url(self) -> str:
        return self.server.url + self.app.base

    def violations(self) -> list[dict]:
        return httpx.get(self.url + "/_mock/violations", timeout=30).json()["violations"]

    def journal(self) -> list[dict]:
        return httpx.get(self.url + "/_mock/journal", timeout=30).json()["entries"]


@contextmanager
def proxy(provider: str, upstream: str, tmp_path: Path | None = None) -> Iterator[Proxied]:
    """The proxy for ``provider`` in front of ``upstream`` on a free port; with ``tmp_path``
    it writes ``report.xml`` and ``report.md`` there when it stops."""
    printed: list[str] = []
    app = create_proxy_app(
        PROVIDERS[provider], upstream,
        junit=str(tmp_path / "report.xml") if tmp_path else None,
        markdown=str(tmp_path / "report.md") if tmp_path else None,
        echo=printed.append)
    with LocalServer(app) as server:
        yield Proxied(server, app, printed)


Advance = Callable[[float], object]


def musicgpt_session(api: httpx.Client, advance: Advance, hook: str) -> None:
    """Submit (with a webhook), poll to done, download."""
    auth = {"Authorization": KEY}
    task = api.post("/v1/sound_generator", headers=auth, data={
        "prompt": "rain", "audio_length": "2", "webhook_url": hook}).json()["task_id"]
    query = {"conversionType": "SOUND_GENERATOR", "task_id": task}
    api.get("/v1/byId", params=query, headers=auth)
    advance(60)
    done = api.get("/v1/byId", params=query, headers=auth).json()["conversion"]
    assert done["status"] == "COMPLETED", done
    assert api.get(done["audio_url"]).status_code == 200


SOUNDPIECE_BODIES = {
    "new_fx": {"prompt": "glass breaking", "duration": 2},
    "new_sample": {"prompt": "kick drum", "duration": 2, "n_variations": 1},
    "new_instrumental": {"prompt": "piano, calm", "n_variations": 1},
    "new_song": {"lyrics": "la la la", "prompt": "pop", "n_variations": 1},
}


def soundpiece_session(api: httpx.Client, advance: Advance, hook: str) -> None:
    """Every route: create (with a callback), poll to ready, download; the remixes of the
    first output."""
    auth = {"Authorization": f"Bearer spk_{KEY}"}

    def create(route: str, body: dict) -> dict:
        answer = api.put(f"/v1/create.{route}", headers=auth, json={
            "idempotency_key": str(uuid.uuid4()), "callback_url": hook, **body})
        assert answer.status_code == 200, answer.text
        return next(iter(answer.json().values()))

    made = {route: create(route, body) for route, body in SOUNDPIECE_BODIES.items()}
    advance(600)
    source = None
    for route, operation in made.items():
        ready = api.get(f"/v1/create.{route}", headers=auth, params={"id": operation["id"]})
        outputs = next(iter(ready.json().values()))["outputs"]
        assert api.get(outputs[0]["url"]).status_code == 200
        source = source or outputs[0]["url"]
    remixes = {"remix_instrumental": {"source": {"url": source}, "n_variations": 1},
               "remix_song": {"source": {"url": source}, "lyrics": "la", "prompt": "rock",
                              "n_variations": 1}}
    made = {route: create(route, body) for route, body in remixes.items()}
    advance(600)
    for route, operation in made.items():
        ready = api.get(f"/v1/create.{route}", headers=auth, params={"id": operation["id"]})
        assert next(iter(ready.json().values()))["status"] == "ready"


def musicgen_session(api: httpx.Client, advance: Advance, hook: str) -> None:
    """Health, models, a generation, a batch, a mix; polls to done; a download."""
    auth = {"Authorization": f"Bearer {KEY}"}
    assert api.get("/health").status_code == 200
    assert api.get("/models", headers=auth).status_code == 200
    one = api.post("/generate", headers=auth, json={"prompt": "a", "duration": 2}).json()
    batch = api.post("/generate/batch", headers=auth,
                     json={"requests": [{"prompt": "b", "duration": 2}]}).json()
    mix = api.post("/multi-instrument", headers=auth,
                   json={"instruments": {"piano": "p"}, "duration": 2}).json()
    advance(600)
    for task in (one["task_id"], batch["tasks"][0]["task_id"], mix["task_id"]):
        done = api.get(f"/generate/{task}", headers=auth).json()
        assert done["status"] == "completed", done
    assert api.get(done["audio_url"]).status_code == 200


def muzaic_session(api: httpx.Client, advance: Advance, hook: str) -> None:
    """Tags, account, a single file (and its download), a soundtrack (also origin-scoped),
    the audio of a hash."""
    auth = {"MuzaicAPI-Secret-Key": KEY}
    assert api.get("/getTags", headers=auth).status_code == 200
    single = api.post("/singleFile", headers=auth, json={"duration": 2, "tags": [11]}).json()
    assert api.get(single["mp3"]).status_code == 200
    regions = {"regions": [{"time": 0, "duration": 2, "tags": [11]}]}
    assert api.post("/soundtrack", headers=auth, json=regions).status_code == 200
    api.post("/soundtrack/my-site", headers=auth, json=regions)  # 403 unless configured
    assert api.post("/audioFromHash", headers=auth,
                    json={"sourceHash": single["hash"]}).status_code == 200
    assert api.get("/accountDetails", headers=auth).status_code == 200


SESSIONS: dict[str, Callable[[httpx.Client, Advance, str], None]] = {
    "musicgpt": musicgpt_session, "soundpiece": soundpiece_session,
    "musicgen": musicgen_session, "muzaic": muzaic_session,
}
HOOKED = {"musicgpt", "soundpiece"}
"""Providers whose session asks for webhooks."""


@contextmanager
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1 (the app's own URL)."""
    with Receiver() as hooks:
        yield hooks
