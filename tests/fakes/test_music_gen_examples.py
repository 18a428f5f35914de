"""The seed's Python examples run against the offline ``music_gen`` fake, and the fake, the
REST API and its websocket agree on the audio."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import numpy as np
import pytest
import soundfile

import mockserver.fakes
from live import LiveServer
from mockserver.core.settings import Settings

REPO = Path(__file__).parents[2]


@pytest.fixture
def music_gen() -> Iterator[ModuleType]:
    """``import music_gen`` gives the fake for this test."""
    yield mockserver.fakes.install()
    mockserver.fakes.uninstall()


@pytest.fixture(scope="module")
def instant_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server whose tasks complete at once (the client's first poll sees the result)."""
    state = tmp_path_factory.mktemp("fake-api") / "state.db"
    with LiveServer(Settings(state_path=str(state), clock="instant")) as live:
        yield live


def test_basic_usage_example_runs_as_written(music_gen: ModuleType, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    # --- the seed's "Basic Usage", verbatim ---
    from music_gen import MusicGenerator

    # Initialize generator
    generator = MusicGenerator(model="facebook/musicgen-medium")

    # Generate music
    audio = generator.generate(
        prompt="Calm piano melody",
        duration=30.0,
        temperature=0.8
    )

    # Save audio
    audio.save("output.wav")
    # --- end of the example ---
    samples, rate = soundfile.read(tmp_path / "output.wav", dtype="int16")
    assert rate == 32000 and samples.shape == (30 * 32000,)
    assert audio.duration == 30.0 and audio.sample_rate == 32000
    assert np.abs(samples).max() > 1000


def test_sdk_example_runs_as_written_against_a_live_server(
        music_gen: ModuleType, instant_server: LiveServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MUSIC_GEN_API_URL", instant_server.url + "/musicgen/api/v1")
    # --- the seed's "SDK Examples / Python", verbatim ---
    from music_gen import APIClient

    client = APIClient(api_key="YOUR_KEY")
    result = client.generate("Jazz piano", duration=30)
    result.save("jazz.wav")
    # --- end of the example ---
    samples, rate = soundfile.read(tmp_path / "jazz.wav", dtype="int16")
    assert rate == 32000 and len(samples) == 30 * 32000
    assert result.metadata["prompt"] == "Jazz piano"


def test_api_client_and_generator_give_the_same_audio(music_gen: ModuleType,
                                                      instant_server: LiveServer) -> None:
    args = {"duration": 4.0, "temperature": 0.9, "top_k": 40, "top_p": 0.8, "seed": 99}
    local = music_gen.MusicGenerator("facebook/musicgen-small").generate("Lo-fi hip hop", **args)
    with music_gen.APIClient("k", instant_server.url + "/musicgen/api/v1") as client:
        remote = client.generate("Lo-fi hip hop", **args)
    assert remote.sample_rate == local.sample_rate == 32000
    np.testing.assert_array_equal(remote.samples, local.samples)
    assert remote.wav == local.to_bytes("wav"), "the fake's WAV is the server's, byte for byte"


def test_multi_track_equals_the_rest_multi_instrument_result(music_gen: ModuleType,
                                                             instant_server: LiveServer) -> None:
    instruments = {"piano": "Jazz piano comping", "bass": "Walking bass line",
                   "drums": "Swing pattern"}
    api = httpx.Client(base_url=instant_server.url + "/musicgen/api/v1",
                       headers={"Authorization": "Bearer multi"}, timeout=120)
    with api:
        answer = api.post("/multi-instrument", json={"instruments": instruments, "duration": 3.0,
                                                      "mix_preset": "jazz_club"}).json()
        done = api.get(f"/generate/{answer['task_id']}").json()
        mix_wav = api.get(done["audio_url"]).content
        stem_wavs = {name: api.get(url).content for name, url in done["stems"].items()}
    tracks = music_gen.MultiInstrumentGenerator().generate_multi_track(
        instruments, 3.0, {"preset": "jazz_club"}, seed=done["metadata"]["seed"])
    assert list(tracks) == list(instruments)
    for name, track in tracks.items():
        assert track.channels == 1
        assert track.to_bytes("wav") == stem_wavs[name], name
    assert tracks.mix.channels == 2
    assert tracks.mix.to_bytes("wav") == mix_wav


def test_audio_output_saves_wav_flac_and_mp3(music_gen: ModuleType, tmp_path: Path) -> None:
    audio = music_gen.MusicGenerator("musicgen-small").generate("Bright synth", 2.0, seed=1)
    for suffix in (".wav", ".flac"):
        written, rate = soundfile.read(audio.save(tmp_path / f"a{suffix}"), dtype="float32")
        assert rate == 32000
        np.testing.assert_allclose(written, audio.samples, atol=1 / 32767)
    mp3, rate = soundfile.read(audio.save(tmp_path / "a.mp3"), dtype="float32")
    assert rate == 32000 and abs(len(mp3) - len(audio)) <= 32  # within 1 ms
    with pytest.raises(ValueError, match="wav, flac or mp3"):
        audio.save(tmp_path / "a.ogg")


def test_generate_batch_and_seeds(music_gen: ModuleType) -> None:
    generator = music_gen.MusicGenerator("musicgen-small", device="cpu")
    batch = generator.generate_batch(["Piano melody", "Guitar solo"], duration=1.5, seed=3)
    assert [a.duration for a in batch] == [1.5, 1.5]
    assert not np.array_equal(batch[0].samples, batch[1].samples)
    again = generator.generate("Piano melody", duration=1.5, seed=3)
    np.testing.assert_array_equal(again.samples, batch[0].samples)
    unseeded = generator.generate("Piano melody", duration=1.5)
    np.testing.assert_array_equal(unseeded.samples,
                                  generator.generate("Piano melody", duration=1.5).samples)
    assert isinstance(unseeded.metadata["seed"], int)


@pytest.mark.parametrize("kwargs, needle", [
    ({"prompt": "  "}, "Prompt cannot be empty"),
    ({"prompt": "x" * 501}, "at most 500"),
    ({"prompt": "x", "duration": 0}, "duration"),
    ({"prompt": "x", "duration": 301}, "duration"),
    ({"prompt": "x", "temperature": 0}, "temperature"),
    ({"prompt": "x", "top_k": 0}, "top_k"),
    ({"prompt": "x", "seed": -1}, "seed"),
])
def test_the_fake_refuses_what_the_api_refuses(music_gen: ModuleType, kwargs: dict,
                                               needle: str) -> None:
    with pytest.raises(ValueError, match=needle.replace("[", r"\[")):
        music_gen.MusicGenerator("musicgen-small").generate(**kwargs)


def test_unknown_models_and_devices_are_refused(music_gen: ModuleType) -> None:
    with pytest.raises(ValueError, match="not found"):
        music_gen.MusicGenerator("facebook/musicgen-huge")
    with pytest.raises(ValueError, match="device"):
        music_gen.MusicGenerator("musicgen-small", device="tpu")


def test_api_client_raises_the_api_error(music_gen: ModuleType,
                                         instant_server: LiveServer) -> None:
    with music_gen.APIClient("k", instant_server.url + "/musicgen/api/v1") as client:
        with pytest.raises(music_gen.APIError) as refused:
            client.generate(" ")
        with pytest.raises(music_gen.GenerationError) as failed:
            client.generate("crash [mock:fail]", duration=1)
        assert [m["name"] for m in client.models()][0] == "musicgen-small"
        assert client.health()["status"] == "healthy"
    assert refused.value.status == 400 and refused.value.code == "INVALID_PROMPT"
    assert failed.value.code == "GENERATION_FAILED"


def test_importing_the_fake_loads_no_http_handlers() -> None:
    code = textwrap.dedent("""
        import sys, mockserver.fakes
        mockserver.fakes.install()
        from music_gen import MusicGenerator
        MusicGenerator("musicgen-small").generate("x", duration=0.5, seed=1)
        loaded = sorted(m for m in sys.modules if m.startswith("mockserver.providers."))
        print(loaded)
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == ("['mockserver.providers.base', 'mockserver.providers.musicgen',"
                                  " 'mockserver.providers.musicgen.model']")


def test_the_pytest_plugin_makes_music_gen_importable(tmp_path: Path) -> None:
    (tmp_path / "test_uses_music_gen.py").write_text(textwrap.dedent("""
        from music_gen import AudioMixer, MusicGenerator

        def test_generate(music_gen):
            audio = MusicGenerator(model="facebook/musicgen-small").generate("Calm", 1.0, seed=2)
            assert music_gen.MusicGenerator is MusicGenerator
            assert AudioMixer().master(audio, -20.0).duration == 1.0
    """))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-p", "mockserver.fakes.pytest_plugin", str(tmp_path)],
                         capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "1 passed" in run.stdout
