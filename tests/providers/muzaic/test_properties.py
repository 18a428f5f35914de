"""Properties of /soundtrack over real HTTP, checked on the decoded audio."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import numpy as np
import pytest
from audiocheck import ONE_MS, SAMPLE_RATE, ffmpeg_decode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from live import LiveServer
from mockserver.audio.analysis import onset_rate, spectral_centroid
from mockserver.core.settings import Settings

KEY = {"MuzaicAPI-Secret-Key": "property-key"}
SLOW_OK = settings(suppress_health_check=[HealthCheck.function_scoped_fixture,
                                          HealthCheck.too_slow])

level = st.integers(min_value=1, max_value=10)
keyframes = st.lists(st.tuples(st.floats(1, 99), level), max_size=3).map(
    lambda inner: [[0, 5], *[[round(p, 2), v] for p, v in sorted(inner)], [100, 5]])
params = st.fixed_dictionaries({}, optional={
    "intensity": level | keyframes, "tempo": level, "rhythm": level | keyframes,
    "tone": level | keyframes, "variance": level | keyframes,
})
times = st.floats(min_value=0, max_value=6, allow_nan=False).map(lambda t: round(t, 3))
durations = st.floats(min_value=0.05, max_value=4, allow_nan=False).map(lambda d: round(d, 3))
regions = st.lists(
    st.fixed_dictionaries(
        {"time": times, "duration": durations,
         "action": st.sampled_from(["generate", "generate", "silence"])},
        optional={"params": params, "tags": st.lists(st.integers(1, 30), max_size=3),
                  "method": st.just("strict")},
    ),
    min_size=1, max_size=4,
)


@pytest.fixture(scope="module")
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client("/muzaic", headers=KEY) as c:
        yield c


@pytest.fixture(scope="module")
def other_seed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    state = tmp_path_factory.mktemp("seed7") / "state.db"
    with LiveServer(Settings(state_path=str(state), seed=7)) as live:
        with live.client("/muzaic", headers=KEY) as c:
            yield c


def _soundtrack(client: httpx.Client, body: dict) -> tuple[dict, bytes]:
    response = client.post("/soundtrack", json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    return data, base64.b64decode(data["mp3"])


@SLOW_OK
@given(regions=regions)
def test_duration_hashes_and_determinism(client: httpx.Client, regions: list[dict]) -> None:
    data, mp3 = _soundtrack(client, {"regions": regions})
    end = max(r["time"] + r["duration"] for r in regions)
    assert data["audioDuration"] == pytest.approx(end, abs=1 / SAMPLE_RATE)
    assert data["regions"] == len(regions) == len(data["regionHashes"])
    assert all(len(h) == 32 and int(h, 16) >= 0 for h in data["regionHashes"])
    assert abs(len(ffmpeg_decode(mp3)) - end * SAMPLE_RATE) <= ONE_MS
    again, mp3_again = _soundtrack(client, {"regions": regions})
    assert mp3_again == mp3 and again == data


@SLOW_OK
@given(source=st.floats(0.3, 3).map(lambda d: round(d, 2)),
       start=st.floats(0, 3).map(lambda t: round(t, 2)),
       length=st.floats(0.3, 5).map(lambda d: round(d, 2)),
       region_params=params)
def test_copy_reproduces_the_source_region(client: httpx.Client, source: float, start: float,
                                           length: float, region_params: dict) -> None:
    made, made_mp3 = _soundtrack(client, {"regions": [
        {"time": 0, "duration": source, "action": "generate", "params": region_params}]})
    source_hash = made["regionHashes"][0]
    # Copied to time 0 at the same length: the very same samples, so the very same bytes.
    same, same_mp3 = _soundtrack(client, {"regions": [
        {"time": 0, "duration": source, "action": "copy", "sourceHash": source_hash}]})
    assert same_mp3 == made_mp3
    # Copied elsewhere and fitted to another length: the source's samples, looped or cut.
    moved, moved_mp3 = _soundtrack(client, {"regions": [
        {"time": start, "duration": length, "action": "copy", "sourceHash": source_hash}]})
    original = ffmpeg_decode(made_mp3)
    copied = ffmpeg_decode(moved_mp3)[round(start * SAMPLE_RATE):]
    n = min(len(original), len(copied)) - 2 * ONE_MS
    if n > 4096 and float(np.abs(original[:n]).max()) > 0.01:
        error = copied[:n] - original[:n]
        snr = 10 * np.log10(float((original[:n] ** 2).mean()) / max(float((error ** 2).mean()), 1e-12))
        assert snr > 12, f"copy differs from its source (SNR {snr:.1f} dB)"


def test_another_seed_gives_other_audio(client: httpx.Client, other_seed: httpx.Client) -> None:
    body = {"regions": [{"time": 0, "duration": 3, "action": "generate"}]}
    first, mp3 = _soundtrack(client, body)
    second, mp3_other = _soundtrack(other_seed, body)
    assert first["regionHashes"] != second["regionHashes"]
    a, b = ffmpeg_decode(mp3), ffmpeg_decode(mp3_other)
    assert len(a) == len(b)
    assert float(np.abs(a - b).mean()) > 0.01


def _decoded(client: httpx.Client, params_: dict, seconds: float = 12) -> np.ndarray:
    _, mp3 = _soundtrack(client, {"regions": [
        {"time": 0, "duration": seconds, "action": "generate", "params": params_}]})
    return ffmpeg_decode(mp3).mean(axis=1)


def test_tempo_is_measurable_as_onset_rate(client: httpx.Client) -> None:
    slow = onset_rate(_decoded(client, {"tempo": 2}), SAMPLE_RATE)
    fast = onset_rate(_decoded(client, {"tempo": 9}), SAMPLE_RATE)
    assert fast > 1.3 * slow, (slow, fast)


def test_tone_is_measurable_as_spectral_centroid(client: httpx.Client) -> None:
    dark = spectral_centroid(_decoded(client, {"tone": 1}), SAMPLE_RATE)
    bright = spectral_centroid(_decoded(client, {"tone": 9}), SAMPLE_RATE)
    assert bright > 1.3 * dark, (dark, bright)
