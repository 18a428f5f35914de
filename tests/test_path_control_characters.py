"""A path parameter with a line break in it is bad input (every documented pattern refuses
it), answered in the provider's own error format as a bad path parameter is: 400, or the
404 the operation documents for an unknown id; never "no such endpoint"."""

from __future__ import annotations

import httpx
import pytest

from live import LiveServer
from mockserver.core.settings import Settings

CASES = [  # (method, path, headers, status, error body key)
    ("POST", "/muzaic/soundtrack/studio%0A", {"MuzaicAPI-Secret-Key": "k"}, 400, "error"),
    ("GET", "/musicgen/api/v1/generate/a%0Ab", {"Authorization": "Bearer k"}, 404, "error"),
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


def test_where_the_operation_documents_404_the_answer_is_404(live: LiveServer) -> None:
    answer = httpx.get(live.url + "/muzaic/result/2026-01-01/a%0Ab.mp3",
                       headers={"MuzaicAPI-Secret-Key": "k"})
    assert answer.status_code == 404 and "control character" in answer.json()["error"]
