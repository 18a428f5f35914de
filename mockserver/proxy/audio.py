"""Audio through the proxy: absolute URLs in the upstream's JSON answers that point at the
upstream are rewritten to the proxy (so downloads pass it), each with the length its answer
claims beside it; a download is decoded and its length compared with that claim.

A claim is a number in the same JSON object as the URL, under one of ``DURATION_FIELDS``
(MusicGPT's ``conversion_duration``, Soundpiece's and Music Gen AI's ``duration``, Muzaic's
``audioDuration``). Audio sent inline (Muzaic's soundtrack: a base64 MP3 beside its
``duration``) is checked the same way. A mismatch beyond ``TOLERANCE`` is
``audio_wrong_length``; audio that does not decode is ``audio_undecodable`` (the contract
suite's names).
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import soundfile

from mockserver.audio.encode import decode
from mockserver.contracts.schema import Finding

DURATION_FIELDS = ("duration", "conversion_duration", "audioDuration", "audio_duration")
TOLERANCE = 0.05
"""Seconds a download may differ from its claim (or 1 % of it, if more)."""
CLAIMS_KEPT = 10_000


class AudioClaims:
    """Proxy-side download paths -> the seconds the answer that gave them claimed."""

    def __init__(self) -> None:
        self._claims: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def add(self, path: str, seconds: float, said_by: str) -> None:
        """Remember that ``said_by`` (an operation) claimed ``seconds`` for ``path``."""
        with self._lock:
            if len(self._claims) >= CLAIMS_KEPT:
                self._claims.pop(next(iter(self._claims)))
            self._claims[path] = (seconds, said_by)

    def get(self, path: str) -> tuple[float, str] | None:
        """(claimed seconds, the operation that claimed them) for ``path``, or None."""
        with self._lock:
            return self._claims.get(path)


def rewrite_urls(data: Any, move: Callable[[str], str | None], claims: AudioClaims,
                 said_by: str) -> bool:
    """Rewrite in place every string in ``data`` that ``move`` maps to a proxy URL, and
    remember a claimed length beside it; True when something changed."""
    changed = False
    if isinstance(data, dict):
        seconds = next((data[f] for f in DURATION_FIELDS if _is_number(data.get(f))), None)
        for key, value in data.items():
            if isinstance(value, str):
                moved = move(value)
                if moved is not None:
                    data[key] = moved
                    changed = True
                    if seconds is not None:
                        claims.add(urlsplit(moved).path, float(seconds), said_by)
            else:
                changed = rewrite_urls(value, move, claims, said_by) or changed
    elif isinstance(data, list):
        for index, value in enumerate(data):
            if isinstance(value, str):
                moved = move(value)
                if moved is not None:
                    data[index] = moved
                    changed = True
            else:
                changed = rewrite_urls(value, move, claims, said_by) or changed
    return changed


INLINE_MINIMUM = 256
"""Characters of base64 below which a string is not taken for inline audio."""
AUDIO_MAGIC = (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2", b"RIFF", b"fLaC", b"OggS")
"""How MP3 (tagged or a bare frame), WAV, FLAC and Ogg files start."""


def inline_audio(data: Any) -> Iterator[tuple[bytes, float]]:
    """(audio bytes, claimed seconds) for every base64 audio string in ``data`` that sits
    beside a duration (e.g. Muzaic's soundtrack ``{"mp3": "<base64>", "duration": 12.5}``)."""
    if isinstance(data, dict):
        seconds = next((data[f] for f in DURATION_FIELDS if _is_number(data.get(f))), None)
        for value in data.values():
            if isinstance(value, str) and seconds is not None and len(value) >= INLINE_MINIMUM:
                try:
                    raw = base64.b64decode(value, validate=True)
                except (binascii.Error, ValueError):
                    continue
                if raw.startswith(AUDIO_MAGIC):
                    yield raw, float(seconds)
            elif isinstance(value, (dict, list)):
                yield from inline_audio(value)
    elif isinstance(data, list):
        for value in data:
            yield from inline_audio(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_length(data: bytes, claimed: float, said_by: str) -> list[Finding]:
    """A downloaded file against the length its answer claimed."""
    try:
        samples, rate = decode(data)
    except (RuntimeError, soundfile.LibsndfileError, TypeError, ValueError) as exc:
        return [Finding("audio_undecodable", f"a decodable audio file ({claimed:g} s, as"
                        f" {said_by} said)", f"{len(data)} bytes that do not decode: {exc}"[:300])]
    length = len(samples) / rate if rate else 0.0
    if abs(length - claimed) > max(TOLERANCE, claimed * 0.01):
        return [Finding("audio_wrong_length",
                        f"{claimed:.3f} s of audio (as {said_by} said, ±{TOLERANCE} s)",
                        f"{length:.3f} s decoded")]
    return []
