"""A remix of audio this server made is made from that audio; other URLs are never fetched."""

from __future__ import annotations

import io

import httpx
import numpy as np
import pytest
import soundfile
from soundpiece_helpers import advance, body_for, client, poll, submit

from live import LiveServer

REMIX = "create.remix_instrumental"


@pytest.fixture(scope="module")
def live(manual_server: LiveServer) -> LiveServer:
    return manual_server


def _mono(url: str) -> np.ndarray:
    response = httpx.get(url)
    assert response.status_code == 200, response.text
    samples, rate = soundfile.read(io.BytesIO(response.content), dtype="float32", always_2d=True)
    assert rate == 44100
    return samples.mean(axis=1)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    a, b = a[:n] - a[:n].mean(), b[:n] - b[:n].mean()
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def _make(live: LiveServer, route: str, **changes) -> list[dict]:
    with client(live) as c:
        op = submit(c, route, body_for(route, **changes))
        advance(live, 60)
        return poll(c, route, op["id"])["outputs"]


def test_remix_of_own_audio_is_related_to_it(live: LiveServer) -> None:
    (source,) = _make(live, "create.new_sample", duration=6.0, n_variations=1)
    # The path alone names the file: the remix needs no valid signature (nothing leaves).
    unsigned = source["url"].split("?")[0]
    remixes = _make(live, REMIX, source={"url": unsigned}, n_variations=3)
    (unrelated,) = _make(live, REMIX, source={"url": "https://example.com/other.flac"},
                         n_variations=1)
    original = _mono(source["url"])
    looped = np.resize(original, round(remixes[0]["duration"] * 44100))  # fitted by looping
    baseline = abs(_correlation(_mono(unrelated["url"]), looped))
    related = [_correlation(_mono(r["url"]), looped) for r in remixes]
    assert baseline < 0.2
    assert all(c > 0.5 and c > baseline + 0.4 for c in related), (related, baseline)
    assert len({round(c, 4) for c in related}) == 3, "the variations colour the source alike"


def test_remix_of_another_url_is_derived_from_its_text(live: LiveServer) -> None:
    url = "https://example.com/never-fetched.flac"
    first = _make(live, REMIX, source={"url": url}, n_variations=1)
    other = _make(live, REMIX, source={"url": url + "?v=2"}, n_variations=1)
    assert not np.allclose(_mono(first[0]["url"]), _mono(other[0]["url"]), atol=1e-3)
    failures = [d for d in httpx.get(live.url + "/_mock/journal?limit=1000").json()["entries"]
                if "example.com" in d["path"]]
    assert failures == []


def test_remix_of_a_missing_local_file_falls_back_to_the_url(live: LiveServer) -> None:
    missing = f"{live.url}/_mock/files/soundpiece/op_{'0' * 26}-0.flac"
    (output,) = _make(live, REMIX, source={"url": missing}, n_variations=1)
    assert len(_mono(output["url"])) == round(output["duration"] * 44100)


def test_remix_song_uses_the_source_too(live: LiveServer) -> None:
    (source,) = _make(live, "create.new_instrumental", n_variations=1, prompt="piano, calm")
    (remix,) = _make(live, "create.remix_song", source={"url": source["url"]}, n_variations=1)
    assert _correlation(_mono(remix["url"]), _mono(source["url"])) > 0.5
