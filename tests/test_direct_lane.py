"""The direct lane and the remembered routes answer exactly as connexion's own layers do.

Two servers from the same seed, one with the direct lane (as served) and one without
(every operation through connexion's security, validation and decorator layers), get the
same requests on every bodiless operation: keys present, absent, misplaced or wrong;
parameters valid, missing, empty, mistyped, repeated or unknown. Status, headers and body
must be the same bytes.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.core.clock import Clock
from mockserver.core.settings import Settings
from mockserver.core.store import Store
from mockserver.http.app import create_app

KEY = "lane-key"
OTHER = "other-key"
"""A second accepted key: another account, which owns none of the jobs."""
IDEMPOTENCY = "9b0f1f5e-6f0c-4c53-8f55-3c1b6f0f8f10"
EXAMPLES = 150
"""Requests per operation (the suite's thorough profile runs more, see ``conftest``)."""

OPERATIONS = [  # (path template, query parameter names, the key header's right form)
    ("/musicgpt/api/public/v1/byId", ["conversionType", "task_id", "conversion_id"],
     ("Authorization", KEY)),
    ("/muzaic/getTags", [], ("MuzaicAPI-Secret-Key", KEY)),
    ("/muzaic/accountDetails", [], ("MuzaicAPI-Secret-Key", KEY)),
    ("/muzaic/result/{date}/{file}", [], None),
    ("/musicgen/api/v1/generate/{task_id}", [], ("Authorization", f"Bearer {KEY}")),
    ("/musicgen/api/v1/models", [], ("Authorization", f"Bearer {KEY}")),
    ("/musicgen/api/v1/health", [], None),
    ("/musicgen/api/v1/audio/{file}", [], None),
    ("/soundpiece/v1/create.new_fx", ["id", "wait"], ("Authorization", f"Bearer spk_{KEY}")),
    ("/soundpiece/v1/create.new_song", ["id", "wait"], ("Authorization", f"Bearer spk_{KEY}")),
]


class Pair:
    """The same server twice, with and without the direct lane, on one event loop."""

    def __init__(self, tmp: Path) -> None:
        self.loop = asyncio.new_event_loop()
        # one key salt and one manual clock start for both: the same labels and times
        store = Store(str(tmp / "True.db"))
        Clock("manual", 1.0, store)
        store.close()
        shutil.copy(tmp / "True.db", tmp / "False.db")
        self.clients = [
            httpx.AsyncClient(base_url="http://127.0.0.1:8080", transport=httpx.ASGITransport(
                create_app(Settings(state_path=str(tmp / f"{lane}.db"), clock="manual",
                                    api_keys=(KEY, f"spk_{KEY}", OTHER, f"spk_{OTHER}")),
                           direct_lane=lane)))
            for lane in (True, False)]
        self.ids = self._submit()

    def both(self, method: str, url: str, **kwargs: object) -> list[httpx.Response]:
        async def send() -> list[httpx.Response]:
            return [await client.request(method, url, **kwargs)  # type: ignore[arg-type]
                    for client in self.clients]
        return self.loop.run_until_complete(send())

    def _submit(self) -> list[str]:
        """One job per provider with polls, the same ids on both servers."""
        made = [
            self.both("POST", "/musicgpt/api/public/v1/sound_generator",
                      headers={"Authorization": KEY}, data={"prompt": "rain", "audio_length": "2"}),
            self.both("POST", "/musicgen/api/v1/generate", headers={"Authorization": f"Bearer {KEY}"},
                      json={"prompt": "lofi", "duration": 2}),
            self.both("PUT", "/soundpiece/v1/create.new_fx",
                      headers={"Authorization": f"Bearer spk_{KEY}"},
                      json={"idempotency_key": IDEMPOTENCY, "prompt": "glass", "duration": 2}),
        ]
        ids = []
        for direct, layered in made:
            assert direct.status_code < 300 and direct.content == layered.content, direct.text
            body = direct.json()
            ids.append(body.get("task_id") or body["fx"]["id"])
        return ids

    def close(self) -> None:
        for client in self.clients:
            self.loop.run_until_complete(client.aclose())
        self.loop.close()


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    made = Pair(tmp_path_factory.mktemp("lane"))
    yield made
    made.close()


def values(ids: list[str]) -> st.SearchStrategy[str]:
    """Parameter values: the jobs' ids, documented enum values, and anything else."""
    return st.one_of(
        st.sampled_from([*ids, "SOUND_GENERATOR", "MUSIC_AI", "false", "FALSE", "", "0", "1",
                         "2026-11-30", "x.mp3", "null", "%00", "-1", "1e3"]),
        st.text(max_size=12))


@st.composite
def requests(draw: st.DrawFn, template: str, names: list[str],
             key: tuple[str, str] | None, ids: list[str]) -> tuple[str, dict[str, str]]:
    """A URL (path parameters filled in, a query) and headers for ``template``."""
    path = template
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        segment = draw(values(ids).filter(lambda v: "/" not in v and v not in (".", "..")))
        path = path[:start] + quote(segment, safe="") + path[end + 1:]
    query = draw(st.lists(st.tuples(st.sampled_from([*names, "extra", "token"]) if names
                                    else st.sampled_from(["extra", "token"]), values(ids)),
                          max_size=4))
    # wait=true holds the answer for the job (a manual clock never ends it): not sent
    query = [(name, value) for name, value in query
             if not (name == "wait" and value.lower() == "true")]
    headers: dict[str, str] = {}
    if key is not None:
        name, right = key
        form = draw(st.sampled_from(["right", "other", "absent", "empty", "wrong", "bare",
                                     "misplaced"]))
        headers = {"right": {name: right}, "other": {name: right.replace(KEY, OTHER)},
                   "absent": {}, "empty": {name: ""},
                   "wrong": {name: right.replace(KEY, "nope")},
                   "bare": {name: KEY}, "misplaced": {"X-API-Key": right}}[form]
    url = path + ("?" + "&".join(f"{quote(n)}={quote(v, safe='')}" for n, v in query)
                  if query else "")
    return url, headers


@pytest.mark.parametrize("template, names, key", OPERATIONS,
                         ids=[template for template, _, _ in OPERATIONS])
def test_the_direct_lane_answers_as_connexions_layers_do(
        pair: Pair, template: str, names: list[str], key: tuple[str, str] | None) -> None:
    @settings(max_examples=EXAMPLES * (4 if settings().max_examples > 100 else 1),
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
              deadline=None)
    @given(request=requests(template, names, key, pair.ids))
    def same(request: tuple[str, dict[str, str]]) -> None:
        url, headers = request
        direct, layered = pair.both("GET", url, headers=headers)
        assert direct.status_code < 500, (url, headers, direct.text)
        assert (direct.status_code, direct.headers.items(), direct.content) == (
            layered.status_code, layered.headers.items(), layered.content), (url, headers)

    same()



BODIED = [  # (method, path, its fields, the key header) : operations that keep connexion's layers
    ("POST", "/muzaic/soundtrack", ["regions", "duration", "tags", "intensity"],
     ("MuzaicAPI-Secret-Key", KEY)),
    ("POST", "/musicgen/api/v1/generate", ["prompt", "duration", "model", "webhook_url"],
     ("Authorization", f"Bearer {KEY}")),
    ("PUT", "/soundpiece/v1/create.new_fx", ["idempotency_key", "prompt", "duration"],
     ("Authorization", f"Bearer spk_{KEY}")),
]

FIELD_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 400), st.text(max_size=8),
                         st.sampled_from(["lofi", IDEMPOTENCY, "http://127.0.0.1:9/hook"]),
                         st.lists(st.fixed_dictionaries(
                             {}, optional={"time": st.integers(-2, 30),
                                           "duration": st.integers(-2, 30),
                                           "action": st.sampled_from(["generate", "x"])}),
                             max_size=2))


@pytest.mark.parametrize("method, path, fields, key", BODIED, ids=[p for _, p, _, _ in BODIED])
def test_operations_with_a_body_answer_the_same_through_remembered_routes(
        pair: Pair, method: str, path: str, fields: list[str], key: tuple[str, str]) -> None:
    """The routing memo sends these past the routers, into connexion's own layers."""
    @settings(max_examples=EXAMPLES // 3, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(body=st.dictionaries(st.sampled_from([*fields, "extra"]), FIELD_VALUES, max_size=4),
           keyed=st.booleans())
    def same(body: dict[str, object], keyed: bool) -> None:
        headers = dict([key]) if keyed else {}
        direct, layered = pair.both(method, path, json=body, headers=headers)
        assert direct.status_code < 500, (body, direct.text)
        assert (direct.status_code, direct.headers.items(), direct.content) == (
            layered.status_code, layered.headers.items(), layered.content), body

    same()
