"""MusicGPT's rules as plain functions: lengths, credits, the schedule, titles."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mockserver.providers.musicgpt.model import (
    DEFAULT_SECONDS,
    MAX_SECONDS,
    MIN_SECONDS,
    audio_length,
    credits_for,
    eta_seconds,
    schedule,
    submit_message,
    title_for,
)


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_any_integer_length_is_accepted_and_clamped(requested: int) -> None:
    length = audio_length(requested)
    assert MIN_SECONDS <= length.seconds <= MAX_SECONDS
    assert (length.note is None) == (length.seconds == requested)
    assert submit_message(length).startswith("Successfully published to queue")


def test_the_default_length_and_its_price() -> None:
    assert audio_length(None).seconds == DEFAULT_SECONDS == 30
    assert credits_for(30) == 30


def test_the_schedule_scales_with_audio_length_and_clock_speed() -> None:
    realistic = schedule(100.0, 30, False, lambda s: s)
    longer = schedule(100.0, 300, False, lambda s: s)
    faster = schedule(100.0, 30, False, lambda s: s / 10)
    instant = schedule(100.0, 30, True, lambda s: 0.0)
    assert [s for s, _ in realistic] == ["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]
    assert [at for _, at in realistic] == [100.0, 102.0, 108.0]
    assert eta_seconds(realistic) == 8 and eta_seconds(longer) == 35
    assert eta_seconds(faster) == 1
    assert instant[-1] == ("FAILED", 100.0) and eta_seconds(instant) == 0


def test_titles_are_the_prompt_words_kept_short() -> None:
    assert title_for("  calm   piano\n") == "calm piano"
    long = title_for("word " * 100)
    assert len(long) <= 80 and long.endswith("…")
