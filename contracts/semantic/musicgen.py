"""Music Gen AI: POST /generate, GET /generate/{task_id} until completed/failed (never
backwards), the WAV is 32 kHz and lasts the requested duration, missing keys and unknown
tasks are refused in the documented error envelope."""

from __future__ import annotations

import uuid

from hypothesis import strategies as st

from .common import (
    PROMPTS,
    Context,
    Property,
    fetch_audio,
    follow_job,
    missing_key_refused,
    refused_with_documented_error,
    run_examples,
)

RANKS = {"processing": 0, "completed": 1, "failed": 1}
TERMINAL = {"completed", "failed"}


def job_lifecycle(ctx: Context) -> None:
    """A generation completes (or fails) and stays; audio_url is a 32 kHz WAV of the
    requested duration."""
    def one(drawn: tuple[int, str]) -> None:
        seconds, prompt = drawn
        body = {"prompt": prompt, "duration": float(seconds)}
        made = ctx.accepted(ctx.session.generate("POST", "/generate", seconds, json=body),
                            "POST /generate")
        if made is None or not isinstance(made.get("task_id"), str):
            return  # a missing task_id was reported by the session's spec check
        path = f"/generate/{made['task_id']}"
        curl = ctx.session.curl("GET", path)
        done = follow_job(ctx, "GET /generate/{task_id}",
                          lambda: ctx.session.request("GET", path),
                          lambda b: b.get("status"), RANKS, TERMINAL, curl, eta=made.get("eta"))
        if done is not None and done.get("status") == "completed":
            fetch_audio(ctx, "GET /generate/{task_id} -> audio_url", done.get("audio_url"),
                        "WAV", float(seconds), rate=32000)

    run_examples(ctx, 3, st.tuples(st.integers(1, 3), PROMPTS), one)


def keys_and_errors(ctx: Context) -> None:
    """No key: 401. An unknown task: the documented 404 error envelope."""
    path = f"/generate/{uuid.uuid4()}"
    missing_key_refused(ctx, "GET", path)
    refused_with_documented_error(ctx, "GET", path, {404})
    refused_with_documented_error(ctx, "POST", "/generate", {400, 422}, json={"prompt": 7})


PROPERTIES = [
    Property("job_lifecycle_audio", job_lifecycle,
             lambda n: [("POST", "/generate", 3.0), ("GET", "/generate/{task_id}", 0)]
             * min(n, 3)),
    Property("missing_key_and_error_shape", keys_and_errors,
             lambda n: [("GET", "/generate/{task_id}", 0)] * 2 + [("POST", "/generate", 0)],
             max_examples=1),
]
