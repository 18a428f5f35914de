"""A path parameter with a line break in it is bad input (every documented pattern refuses
it), answered in the provider's own error format: never "no such endpoint"."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from live import LiveServer
from mockserver.settings import Settings

CASES = [  # (method, path, headers, status, error body key)
    ("POST", "/muzaic/soundtrack/studio%0A", {"MuzaicAPI-Secret-Key": "k"}, 400, "error"),
    ("GET", "/musicgen/api/v1/generate/a%0Ab", {"Authorization": "Bearer k"}, 400, "error"),
]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):
    with LiveServer(Settings(state_path=str(tmp_path_factory.mktemp("s") / "s.db"))) as server:
        yield server


@pytest.mark.parametrize(("method", "path", "headers", "status", "key"), CASES)
def test_a_control_character_in_the_path_is_a_bad_request(
        live: LiveServer, method: str, path: str, headers: dict, status: int, key: str) -> None:
    answer = httpx.request(method, live.url + path, headers=headers, json={"regions": []})
    assert answer.status_code == status, answer.text
    assert "control character" in str(answer.json()[key])
