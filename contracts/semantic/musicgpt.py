"""MusicGPT: submit, poll ``/v1/byId`` until terminal (never backwards), the MP3 lasts the
reported duration, the webhook carries the documented payload, idempotent replays start
nothing new, missing keys and bad lookups are refused in the documented shape."""

from __future__ import annotations

import uuid

from hypothesis import strategies as st

from .common import (
    PROMPTS,
    Context,
    Property,
    check_payload,
    fetch_audio,
    follow_job,
    missing_key_refused,
    refused_with_documented_error,
    replay_starts_nothing,
    run_examples,
    webhook_for,
)

SUBMIT, BY_ID = "/v1/sound_generator", "/v1/byId"
RANKS = {"IN_QUEUE": 0, "IN_PROGRESS": 1, "COMPLETED": 2, "FAILED": 2}
TERMINAL = {"COMPLETED", "FAILED"}


def _poll(ctx: Context, task_id: str):
    params = {"conversionType": "SOUND_GENERATOR", "task_id": task_id}
    return lambda: ctx.session.request("GET", BY_ID, params=params)


def job_lifecycle(ctx: Context) -> None:
    """Submit; the job reaches COMPLETED/FAILED and stays; audio_url is an MP3 of
    conversion_duration seconds; with a receiver, the webhook has the documented payload."""
    def one(drawn: tuple[int, str]) -> None:
        seconds, prompt = drawn
        form = {"prompt": prompt, "audio_length": str(seconds)}
        if ctx.webhook_url:
            form["webhook_url"] = ctx.webhook_url
        curl = ctx.session.curl("POST", SUBMIT, data=form)
        made = ctx.accepted(ctx.session.generate("POST", SUBMIT, seconds, data=form),
                            f"POST {SUBMIT}")
        if made is None or not isinstance(made.get("task_id"), str):
            return  # a missing task_id was reported by the session's spec check
        task_id = made["task_id"]
        op = f"GET {BY_ID}"
        poll_curl = ctx.session.curl("GET", BY_ID, params={
            "conversionType": "SOUND_GENERATOR", "task_id": task_id})
        done = follow_job(ctx, op, _poll(ctx, task_id),
                          lambda b: (b.get("conversion") or {}).get("status"), RANKS, TERMINAL,
                          poll_curl, eta=made.get("eta"))
        if done is None:
            return
        conversion = done.get("conversion") or {}
        if conversion.get("status") == "COMPLETED":
            length = conversion.get("conversion_duration")
            fetch_audio(ctx, f"{op} -> audio_url", conversion.get("audio_url"), "MP3",
                        float(length) if isinstance(length, (int, float)) else seconds)
        hook = webhook_for(ctx, "webhook (conversionCompleted)",
                           lambda p: p.get("task_id") == task_id, curl)
        if hook is not None:
            check_payload(ctx, "musicgpt", "WebhookPayload", hook.json(), "webhook", curl)

    run_examples(ctx, 3, st.tuples(st.integers(1, 3), PROMPTS), one)


def idempotent_replay(ctx: Context) -> None:
    """The same Idempotency-Key and body twice: the same task, nothing charged."""
    def one(prompt: str) -> None:
        form, key = {"prompt": prompt, "audio_length": "1"}, str(uuid.uuid4())
        replay_starts_nothing(
            ctx, f"POST {SUBMIT}", lambda: ctx.session.generate(
                "POST", SUBMIT, 1, data=form, headers={"Idempotency-Key": key}),
            lambda answer: (answer.get("task_id"), answer.get("conversion_id")),
            ctx.session.curl("POST", SUBMIT, data=form, headers={"Idempotency-Key": key}))

    run_examples(ctx, 2, PROMPTS, one)


def keys_and_errors(ctx: Context) -> None:
    """No key: 401. Both ids, or an unknown id: the documented 400/404 error body."""
    params = {"conversionType": "SOUND_GENERATOR", "task_id": str(uuid.uuid4())}
    missing_key_refused(ctx, "GET", BY_ID, params=params)
    refused_with_documented_error(ctx, "GET", BY_ID, {404}, params=params)
    refused_with_documented_error(ctx, "GET", BY_ID, {400}, params={
        **params, "conversion_id": "c"})


PROPERTIES = [
    Property("job_lifecycle_audio_webhook", job_lifecycle,
             lambda n: [("POST", SUBMIT, 3.0), ("GET", BY_ID, 0)] * min(n, 3), webhooks=True),
    Property("idempotent_replay", idempotent_replay,
             lambda n: [("POST", SUBMIT, 1.0), ("POST", SUBMIT, 1.0)] * min(n, 2)),
    Property("missing_key_and_error_shape", keys_and_errors,
             lambda n: [("GET", BY_ID, 0)] * 3, max_examples=1),
]
