"""Muzaic: synchronous generation. Durations and tokens match the request, the MP3 lasts the
reported duration, one region hash per region; and the documented promises, heard on the
decoded audio: a copied region plays its source, a silence region is silent, audioFromHash
gives back the audio of that hash, and higher tempo, intensity and tone change the music in
the documented direction. Missing keys and bad input are refused."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st

from mockserver.audio.analysis import onset_rate, rms, similarity, spectral_centroid

from .common import (
    Context,
    Property,
    check_audio,
    decode_samples,
    download,
    fetch_audio,
    missing_key_refused,
    refused_with_documented_error,
    run_examples,
)

TAGS = st.lists(st.sampled_from([1, 2, 5, 10, 11, 17]), max_size=2, unique=True)
SAME_AUDIO = 0.9
"""Peak correlation above which two decodes are the same audio (unrelated music: ~0.1)."""
SILENT = 10 ** (-60 / 20)
"""RMS below -60 dBFS is silence."""
PARAM_SECONDS = 6
AUDIBLE = 1.1
"""The high setting must measure at least this many times the low one."""

# (param, low, high, what is measured, how): the documented meaning of each param
# ("intensity 1 calm -> 9 high energy; tempo very slow -> very fast; tone dark -> bright").
MEASURES: tuple[tuple[str, int, int, str, Callable[[np.ndarray, int], float]], ...] = (
    ("tempo", 2, 9, "onsets per second", onset_rate),
    ("intensity", 1, 9, "RMS level", lambda samples, rate: rms(samples)),
    ("tone", 1, 9, "spectral centroid (Hz)", spectral_centroid),
)


def single_file(ctx: Context) -> None:
    """``POST /singleFile``: audioDuration and tokensUsed are the request's seconds; the
    ``mp3`` URL serves an MP3 that long."""
    def one(drawn: tuple[int, list[int]]) -> None:
        seconds, tags = drawn
        body = {"duration": seconds, "tags": tags}
        op = "POST /singleFile"
        curl = ctx.session.curl("POST", "/singleFile", json=body)
        data = ctx.accepted(ctx.session.generate("POST", "/singleFile", seconds, json=body), op)
        if data is None:
            return
        ctx.ran()
        if data.get("audioDuration") != seconds:
            ctx.violate("duration_mismatch", op, f"audioDuration {seconds}",
                        f"audioDuration {data.get('audioDuration')!r}", curl)
        if data.get("tokensUsed") != seconds:
            ctx.violate("cost_mismatch", op, f"tokensUsed {seconds} (one per second)",
                        f"tokensUsed {data.get('tokensUsed')!r}", curl)
        reported = data.get("audioDuration")
        fetch_audio(ctx, op + " -> mp3", data.get("mp3"), "MP3",
                    float(reported) if isinstance(reported, (int, float)) else seconds)

    run_examples(ctx, 5, st.tuples(st.integers(1, 3), TAGS), one)


def soundtrack_regions(ctx: Context) -> None:
    """``POST /soundtrack``: one region hash per region; the inline MP3 lasts audioDuration."""
    def one(durations: list[int]) -> None:
        regions, start = [], 0.0
        for seconds in durations:
            regions.append({"time": start, "duration": seconds, "action": "generate"})
            start += seconds
        body = {"regions": regions}
        op = "POST /soundtrack"
        curl = ctx.session.curl("POST", "/soundtrack", json=body)
        data = ctx.accepted(ctx.session.generate("POST", "/soundtrack", start, json=body), op)
        if data is None:
            return
        ctx.ran()
        hashes = data.get("regionHashes") or []
        if data.get("regions") != len(regions) or len(hashes) != len(regions):
            ctx.violate("region_hashes", op, f"{len(regions)} regions, one region hash each",
                        f"regions={data.get('regions')!r}, hashes={hashes!r}", curl)
        reported = data.get("audioDuration")
        check_audio(ctx, op + " mp3", inline_mp3(data.get("mp3")), None, "MP3",
                    float(reported) if isinstance(reported, (int, float)) else start, curl)

    run_examples(ctx, 5, st.lists(st.integers(1, 2), min_size=1, max_size=3), one)


def hashes_reproduce_audio(ctx: Context) -> None:
    """A single file's hash gives its audio back: ``audioFromHash`` returns the same audio,
    a ``copy`` region plays it, and a ``silence`` region after it is silent."""
    source_body = {"duration": 3, "tags": [11]}
    op = "POST /singleFile"
    made = ctx.accepted(ctx.session.generate("POST", "/singleFile", 3, json=source_body), op)
    source = _audio(ctx, op + " -> mp3", made,
                    ctx.session.curl("POST", "/singleFile", json=source_body))
    if made is None or source is None or not isinstance(made.get("hash"), str):
        ctx.not_run("no source audio with a hash to reproduce")
        return
    samples, rate = source
    seconds = len(samples) / rate
    again_body = {"sourceHash": made["hash"]}
    op = "POST /audioFromHash"
    again = ctx.accepted(ctx.session.generate("POST", "/audioFromHash", seconds,
                                              json=again_body), op)
    curl = ctx.session.curl("POST", "/audioFromHash", json=again_body)
    heard = _audio(ctx, op, again, curl)
    if heard is not None:
        ctx.ran()
        _same_audio(ctx, "audio_from_hash_differs", op, samples, heard, rate,
                    f"the audio of hash {made['hash']}", curl)
    body = {"normalize": "none", "regions": [
        {"time": 0, "duration": seconds, "action": "copy", "sourceHash": made["hash"]},
        {"time": seconds, "duration": 1, "action": "silence"}]}
    op = "POST /soundtrack"
    copied = ctx.accepted(ctx.session.generate("POST", "/soundtrack", seconds + 1, json=body),
                          op)
    curl = ctx.session.curl("POST", "/soundtrack", json=body)
    mixed = _audio(ctx, op + " mp3", copied, curl)
    if mixed is None:
        return
    ctx.ran()
    whole, mixed_rate = mixed
    cut = int(seconds * mixed_rate)
    _same_audio(ctx, "copy_not_source", op + " (copy region)", samples,
                (whole[:cut], mixed_rate), rate, f"the audio of hash {made['hash']}", curl)
    edge = int(0.05 * mixed_rate)  # an MP3 frame's smear at the boundary
    tail = whole[cut + edge: cut + int(mixed_rate) - edge]
    if len(whole) < cut + int(mixed_rate) - edge:
        ctx.violate("audio_wrong_length", op, f"{seconds + 1:.3f} s: the copy, then 1 s of"
                    " silence", f"{len(whole) / mixed_rate:.3f} s decoded", curl)
    elif rms(tail) > SILENT:
        ctx.violate("silence_not_silent", op + " (silence region)", "silence (RMS < -60 dBFS)",
                    f"RMS {20 * np.log10(rms(tail)):.1f} dBFS", curl)


def params_are_audible(ctx: Context) -> None:
    """Each param's high setting measures higher than its low one, as documented: tempo as
    onsets per second, intensity as level, tone as spectral centroid."""
    def one(measure: tuple[str, int, int, str, Callable[[np.ndarray, int], float]]) -> None:
        name, low, high, what, how = measure
        values: list[float] = []
        for setting in (low, high):
            body = {"duration": PARAM_SECONDS, "params": {name: setting}}
            op = "POST /singleFile"
            curl = ctx.session.curl("POST", "/singleFile", json=body)
            made = ctx.accepted(ctx.session.generate("POST", "/singleFile", PARAM_SECONDS,
                                                     json=body), op)
            heard = _audio(ctx, op + " -> mp3", made, curl)
            if heard is None:
                return
            values.append(how(*heard))
        ctx.ran()
        if not values[1] > values[0] * AUDIBLE:
            ctx.violate("param_not_audible", f"POST /singleFile params.{name}",
                        f"{name} {high} measures above {AUDIBLE:g} x {name} {low} in {what}",
                        f"{name} {low}: {values[0]:.3g}, {name} {high}: {values[1]:.3g}", curl)

    for measure in MEASURES[: max(1, min(ctx.examples, len(MEASURES)))]:
        one(measure)


def keys_and_errors(ctx: Context) -> None:
    """No key: the documented 401. Bad input: a documented 4xx in the documented shape."""
    missing_key_refused(ctx, "GET", "/accountDetails")
    missing_key_refused(ctx, "GET", "/getTags")
    refused_with_documented_error(ctx, "POST", "/singleFile", {400, 422},
                                  json={"duration": "long", "tags": "x"})
    refused_with_documented_error(ctx, "POST", "/audioFromHash", {400, 404, 422},
                                  json={"sourceHash": "0" * 32})


def inline_mp3(value: Any) -> bytes:
    """The bytes of a base64 MP3 (plain or a ``data:`` URL); b"" when it is not one."""
    text = value if isinstance(value, str) else ""
    try:
        return base64.b64decode(text.split(",", 1)[-1], validate=True)
    except (binascii.Error, ValueError):
        return b""


def _audio(ctx: Context, operation: str, answer: dict | None,
           curl: str) -> tuple[np.ndarray, int] | None:
    """Decoded samples of an answer's ``mp3`` (an URL or base64); None when there is no
    answer (the example could not run: already said) or no audio (reported here)."""
    if answer is None:
        return None
    mp3 = answer.get("mp3")
    if not isinstance(mp3, str) or not mp3:
        ctx.violate("field_dropped", operation, "an mp3 in the answer", f"mp3 = {mp3!r}", curl)
        return None
    if mp3.startswith(("http://", "https://")):
        response = download(ctx, operation, mp3)
        if response is None:
            return None
        data = response.content
    else:
        data = inline_mp3(mp3)
    decoded = decode_samples(data)
    if decoded is None:
        ctx.violate("audio_undecodable", operation, "a decodable MP3",
                    f"{len(data)} bytes that do not decode", curl)
    return decoded


def _same_audio(ctx: Context, name: str, operation: str, expected: np.ndarray,
                heard: tuple[np.ndarray, int], rate: int, what: str, curl: str) -> None:
    samples, heard_rate = heard
    if heard_rate != rate:
        ctx.violate(name, operation, f"{what} at {rate} Hz", f"{heard_rate} Hz", curl)
        return
    likeness = similarity(expected, samples, rate)
    length = len(samples) / rate
    if likeness < SAME_AUDIO or abs(length - len(expected) / rate) > 0.05:
        ctx.violate(name, operation, f"{what} (correlation >= {SAME_AUDIO}, same length)",
                    f"correlation {likeness:.2f}, {length:.3f} s vs"
                    f" {len(expected) / rate:.3f} s", curl)


PROPERTIES = [
    Property("single_file_duration_and_audio", single_file,
             lambda n: [("POST", "/singleFile", 3.0)] * min(n, 5)),
    Property("soundtrack_region_hashes", soundtrack_regions,
             lambda n: [("POST", "/soundtrack", 6.0)] * min(n, 5)),
    Property("hashes_reproduce_audio", hashes_reproduce_audio,
             lambda n: [("POST", "/singleFile", 3.0), ("POST", "/audioFromHash", 3.0),
                        ("POST", "/soundtrack", 4.0)], max_examples=1),
    Property("params_are_audible", params_are_audible,
             lambda n: [("POST", "/singleFile", float(PARAM_SECONDS))] * 2
             * min(n, len(MEASURES)), max_examples=len(MEASURES)),
    Property("missing_key_and_error_shape", keys_and_errors,
             lambda n: [("GET", "/accountDetails", 0), ("GET", "/getTags", 0),
                        ("POST", "/singleFile", 0), ("POST", "/audioFromHash", 0)],
             max_examples=1),
]
