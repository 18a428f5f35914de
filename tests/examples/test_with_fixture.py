"""songapp tested with mockserver's pytest plugin only: the ``mockserver`` fixture (the whole
mock on a free 127.0.0.1 port, manual clock) and the ``mockserver`` marker."""

from __future__ import annotations

import httpx
import pytest
from decoded import seconds
from songapp.musicgen import MusicGen
from songapp.musicgpt import MusicGPT
from songapp.muzaic import Muzaic
from songapp.soundpiece import Soundpiece

KEY = "any-key"  # any non-empty key is accepted unless the config lists keys
UNUSED_HOOK = "http://127.0.0.1:9/songapp-hook"  # nobody listens: the delivery stays queued


def test_muzaic_tags_and_a_single_file(mockserver) -> None:
    muzaic = Muzaic(mockserver.base_url("muzaic"), KEY)
    assert muzaic.tag_names()[1] == "acoustic"
    piece = muzaic.single_file(3, [11, 17])
    assert piece["tokensUsed"] == 3
    assert seconds(muzaic.download(piece["mp3"])) == pytest.approx(3, abs=0.05)


def test_musicgpt_finishes_when_the_clock_moves_and_sends_its_webhook(mockserver) -> None:
    musicgpt = MusicGPT(mockserver.base_url("musicgpt"), KEY)
    task = musicgpt.submit("rain on a tin roof", 2, webhook_url=UNUSED_HOOK)
    assert musicgpt.conversion(task)["status"] == "IN_QUEUE"
    mockserver.advance(60)
    done = musicgpt.conversion(task)
    assert done["status"] == "COMPLETED"
    assert seconds(musicgpt.download(done["audio_url"])) == pytest.approx(2, abs=0.05)
    [hook] = mockserver.webhooks("musicgpt")
    assert hook["url"] == UNUSED_HOOK
    assert hook["payload"]["task_id"] == task and hook["payload"]["status"] == "COMPLETED"


def test_soundpiece_effect_is_ready_after_its_time(mockserver) -> None:
    soundpiece = Soundpiece(mockserver.base_url("soundpiece"), "spk_any")
    operation = soundpiece.new_fx("glass breaking", 2)
    assert soundpiece.fx(operation)["status"] == "processing"
    mockserver.advance(30)
    ready = soundpiece.fx(operation)
    assert ready["status"] == "ready"
    assert seconds(soundpiece.download(ready["outputs"][0]["url"])) == pytest.approx(2, abs=0.01)


def test_musicgen_task_completes_and_its_wav_plays(mockserver) -> None:
    musicgen = MusicGen(mockserver.base_url("musicgen"), KEY)
    task = musicgen.generate("lofi piano", 2)
    assert musicgen.task(task)["status"] == "processing"
    mockserver.advance(60)
    done = musicgen.task(task)
    assert done["status"] == "completed"
    assert seconds(musicgen.download(done["audio_url"])) == pytest.approx(2, abs=0.01)


@pytest.mark.mockserver(clock="instant", providers=["musicgen"], seed=7)
def test_the_marker_picks_the_settings(mockserver) -> None:
    musicgen = MusicGen(mockserver.base_url("musicgen"), KEY)
    assert musicgen.task(musicgen.generate("lofi piano", 1))["status"] == "completed"
    assert [entry["path"] for entry in mockserver.journal()][-1].endswith("/generate")


def test_a_fault_makes_one_call_fail(mockserver) -> None:
    muzaic = Muzaic(mockserver.base_url("muzaic"), KEY)
    rule = mockserver.fault(provider="muzaic", method="GET", path="/getTags", times=1,
                            action={"status": 500})
    with pytest.raises(httpx.HTTPStatusError) as failed:
        muzaic.tag_names()
    assert failed.value.response.status_code == 500
    assert muzaic.tag_names()[1] == "acoustic"  # `times: 1`: the next call is served
    assert rule in mockserver.journal("muzaic")[1]["faults"]


def test_verify_what_the_app_sent(mockserver) -> None:
    muzaic = Muzaic(mockserver.base_url("muzaic"), KEY)
    muzaic.single_file(3, [11])
    mockserver.verify(provider="muzaic", method="POST", path="/singleFile", count=1,
                      body={"duration": 3})
    with pytest.raises(AssertionError) as mismatch:
        mockserver.verify(provider="muzaic", method="POST", path="/singleFile", count=1,
                          body={"duration": 4})
    assert "duration" in str(mismatch.value)  # the near miss names the differing field
