"""Muzaic: synchronous generation. Durations and tokens match the request, the MP3 lasts the
reported duration, one region hash per region, missing keys and bad input are refused."""

from __future__ import annotations

import base64
import binascii

from hypothesis import strategies as st

from .common import (
    Context, Property, check_audio, fetch_audio, missing_key_refused, refused_with_documented_error,
    run_examples,
)

TAGS = st.lists(st.sampled_from([1, 2, 5, 10, 11, 17]), max_size=2, unique=True)


def single_file(ctx: Context) -> None:
    """``POST /singleFile``: audioDuration and tokensUsed are the request's seconds; the
    ``mp3`` URL serves an MP3 that long."""
    def one(drawn: tuple[int, list[int]]) -> None:
        seconds, tags = drawn
        body = {"duration": seconds, "tags": tags}
        op = "POST /singleFile"
        curl = ctx.session.curl("POST", "/singleFile", json_body=body)
        response = ctx.session.generate("POST", "/singleFile", seconds, json=body)
        if response.status_code != 200:
            return  # the session already reported an undocumented answer
        data = response.json()
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
        curl = ctx.session.curl("POST", "/soundtrack", json_body=body)
        response = ctx.session.generate("POST", "/soundtrack", start, json=body)
        if response.status_code != 200:
            return
        data = response.json()
        hashes = data.get("regionHashes") or []
        if data.get("regions") != len(regions) or len(hashes) != len(regions):
            ctx.violate("region_hashes", op, f"{len(regions)} regions, one region hash each", f"regions={data.get('regions')!r}, hashes={hashes!r}",
                        curl)
        try:
            mp3 = base64.b64decode(data.get("mp3") or "", validate=True)
        except (binascii.Error, TypeError, ValueError):
            mp3 = b""
        reported = data.get("audioDuration")
        check_audio(ctx, op + " mp3", mp3, None, "MP3",
                    float(reported) if isinstance(reported, (int, float)) else start, curl)

    run_examples(ctx, 5, st.lists(st.integers(1, 2), min_size=1, max_size=3), one)


def keys_and_errors(ctx: Context) -> None:
    """No key: the documented 401. Bad input: a documented 4xx in the documented shape."""
    missing_key_refused(ctx, "GET", "/accountDetails")
    missing_key_refused(ctx, "GET", "/getTags")
    refused_with_documented_error(ctx, "POST", "/singleFile", {400, 422},
                                  json={"duration": "long", "tags": "x"})
    refused_with_documented_error(ctx, "POST", "/audioFromHash", {400, 404, 422},
                                  json={"hash": "0" * 32, "duration": 1})


def _plan_single(n: int) -> list[tuple[str, str, float]]:
    return [("POST", "/singleFile", 3.0)] * min(n, 5)


def _plan_soundtrack(n: int) -> list[tuple[str, str, float]]:
    return [("POST", "/soundtrack", 6.0)] * min(n, 5)


PROPERTIES = [
    Property("single_file_duration_and_audio", single_file, _plan_single),
    Property("soundtrack_region_hashes", soundtrack_regions, _plan_soundtrack),
    Property("missing_key_and_error_shape", keys_and_errors,
             lambda n: [("GET", "/accountDetails", 0), ("GET", "/getTags", 0),
                        ("POST", "/singleFile", 0), ("POST", "/audioFromHash", 0)],
             max_examples=1),
]
