"""songapp tested with ``mockserver.testing.transport()`` only: the whole mock as an httpx
transport, sync and async, with no socket and no server to start."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from decoded import seconds
from songapp.musicgen import AsyncMusicGen, MusicGen
from songapp.musicgpt import MusicGPT
from songapp.muzaic import Muzaic
from songapp.soundpiece import Soundpiece

from mockserver.testing import transport
from mockserver.testing.inprocess import InProcessTransport

KEY = "any-key"


@pytest.fixture
def mock() -> Iterator[InProcessTransport]:
    """The mock for one test: state in memory, manual clock."""
    with transport() as served:
        yield served


def test_muzaic_through_the_transport(mock: InProcessTransport) -> None:
    muzaic = Muzaic(mock.base_url("muzaic"), KEY, transport=mock)
    piece = muzaic.single_file(3, [2, 5, 10])
    assert piece["mp3"].startswith(mock.base_url("muzaic"))  # links lead back to the transport
    assert seconds(muzaic.download(piece["mp3"])) == pytest.approx(3, abs=0.05)


def test_musicgpt_through_the_transport(mock: InProcessTransport) -> None:
    musicgpt = MusicGPT(mock.base_url("musicgpt"), KEY, transport=mock)
    task = musicgpt.submit("crickets at dusk", 2)
    mock.controls.advance(60)
    done = musicgpt.conversion(task)
    assert done["status"] == "COMPLETED"
    assert seconds(musicgpt.download(done["audio_url"])) == pytest.approx(2, abs=0.05)


def test_soundpiece_through_the_transport(mock: InProcessTransport) -> None:
    soundpiece = Soundpiece(mock.base_url("soundpiece"), "spk_any", transport=mock)
    operation = soundpiece.new_fx("door slam", 1)
    mock.controls.advance(30)
    ready = soundpiece.fx(operation)
    assert ready["status"] == "ready"
    assert seconds(soundpiece.download(ready["outputs"][0]["url"])) == pytest.approx(1, abs=0.01)


def test_music_gen_sync_through_the_transport(mock: InProcessTransport) -> None:
    musicgen = MusicGen(mock.base_url("musicgen"), KEY, transport=mock)
    task = musicgen.generate("lofi piano", 1)
    mock.controls.advance(1)
    assert 0 < musicgen.task(task)["progress"] < 1  # half-way on the manual clock
    mock.controls.advance(60)
    done = musicgen.task(task)
    assert (done["status"], done["progress"]) == ("completed", 1.0)
    assert seconds(musicgen.download(done["audio_url"])) == pytest.approx(1, abs=0.01)


def test_music_gen_async_through_the_transport(mock: InProcessTransport) -> None:
    async def make_a_piece() -> bytes:
        musicgen = AsyncMusicGen(mock.base_url("musicgen"), KEY, transport=mock)
        async with musicgen.http:
            task = await musicgen.generate("lofi piano", 1)
            assert (await musicgen.task(task))["status"] == "processing"
            mock.controls.advance(60)
            done = await musicgen.task(task)
            assert done["status"] == "completed"
            return await musicgen.download(done["audio_url"])

    assert seconds(asyncio.run(make_a_piece())) == pytest.approx(1, abs=0.01)


def test_a_transport_of_its_own_with_settings() -> None:
    with transport(clock="instant", providers=["musicgen"]) as mock:
        musicgen = MusicGen(mock.base_url("musicgen"), KEY, transport=mock)
        assert musicgen.task(musicgen.generate("lofi piano", 1))["status"] == "completed"
