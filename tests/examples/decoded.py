"""How long a piece of audio plays, decoded in full (MP3, WAV, FLAC)."""

from __future__ import annotations

import io

import soundfile


def seconds(data: bytes) -> float:
    """The decoded length of ``data`` in seconds."""
    samples, rate = soundfile.read(io.BytesIO(data), always_2d=True)
    return len(samples) / rate
