"""Soundpiece: PUT an operation, GET it until ready/failed (never backwards), every output is a
FLAC of its reported duration, the webhook is signed (Standard Webhooks) with the documented
payload, a replayed idempotency_key starts nothing new, errors have the documented shape."""

from __future__ import annotations

import base64
import hashlib
import hmac
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

ROUTE, KEY = "/v1/create.new_sample", "sample"
RANKS = {"processing": 0, "ready": 1, "failed": 1}
TERMINAL = {"ready", "failed"}


def job_lifecycle(ctx: Context) -> None:
    """A sample reaches ready (outputs) or failed and stays; each output decodes as FLAC of
    its duration, which is the requested one; the webhook is signed and documented."""
    def one(drawn: tuple[int, int, str]) -> None:
        seconds, variations, prompt = drawn
        body = {"idempotency_key": str(uuid.uuid4()), "prompt": prompt, "duration": seconds,
                "n_variations": variations}
        if ctx.webhook_url:
            body["callback_url"] = ctx.webhook_url
        curl = ctx.session.curl("PUT", ROUTE, json=body)
        made = ctx.accepted(ctx.session.generate("PUT", ROUTE, seconds, variations, json=body),
                            f"PUT {ROUTE}")
        op_id = ((made or {}).get(KEY) or {}).get("id")
        if not isinstance(op_id, str):
            return  # a missing id was reported by the session's spec check
        poll_curl = ctx.session.curl("GET", ROUTE, params={"id": op_id})
        done = follow_job(ctx, f"GET {ROUTE}",
                          lambda: ctx.session.request("GET", ROUTE, params={"id": op_id}),
                          lambda b: (b.get(KEY) or {}).get("status"), RANKS, TERMINAL,
                          poll_curl)
        if done is None:
            return  # following it failed (reported): no webhook to wait for
        if done[KEY].get("status") == "ready":
            outputs = done[KEY].get("outputs") or []
            if len(outputs) != variations:
                ctx.violate("outputs_count", f"GET {ROUTE}", f"{variations} outputs",
                            f"{len(outputs)} outputs", poll_curl)
            for output in outputs:
                length = output.get("duration")
                if isinstance(length, (int, float)) and abs(length - seconds) > 0.05:
                    ctx.violate("duration_mismatch", f"GET {ROUTE}", f"duration {seconds}",
                                f"duration {length}", poll_curl)
                fetch_audio(ctx, f"GET {ROUTE} -> outputs[].url", output.get("url"), "FLAC",
                            float(length) if isinstance(length, (int, float)) else seconds)
        hook = webhook_for(ctx, "webhook (callback_url)",
                           lambda p: (p.get("data") or {}).get("id") == op_id
                           and str(p.get("type", "")).split(".")[-1] in TERMINAL, curl)
        if hook is None:
            return
        check_payload(ctx, "soundpiece", "WebhookEvent", hook.json(), "webhook", curl)
        secret = ctx.extra.get("webhook_secret")
        if secret:
            error = verify_signature(secret, hook.body, hook.headers)
            if error:
                ctx.violate("webhook_bad_signature", "webhook (callback_url)",
                            "webhook-signature: v1,<HMAC-SHA256 of id.timestamp.body> with the"
                            " account's secret", f"{hook.headers.get('webhook-signature')!r}"
                            f" does not verify ({error})", curl)

    run_examples(ctx, 3, st.tuples(st.integers(1, 2), st.integers(1, 2), PROMPTS), one)


def idempotent_replay(ctx: Context) -> None:
    """The same body (same idempotency_key) twice: the same operation, nothing charged."""
    def one(prompt: str) -> None:
        body = {"idempotency_key": str(uuid.uuid4()), "prompt": prompt, "duration": 1}
        replay_starts_nothing(
            ctx, f"PUT {ROUTE}", lambda: ctx.session.generate("PUT", ROUTE, 1, json=body),
            lambda answer: (answer.get(KEY) or {}).get("id"),
            ctx.session.curl("PUT", ROUTE, json=body))

    run_examples(ctx, 2, PROMPTS, one)


def keys_and_errors(ctx: Context) -> None:
    """No key: 401. An unknown id and a malformed body: documented errors."""
    missing_key_refused(ctx, "GET", ROUTE, params={"id": "op_" + "0" * 26})
    refused_with_documented_error(ctx, "GET", ROUTE, {404}, params={"id": "op_" + "0" * 26})
    refused_with_documented_error(ctx, "PUT", ROUTE, {400, 422},
                                  json={"idempotency_key": "not-a-uuid", "prompt": 5})


def verify_signature(secret: str, body: bytes, headers: dict[str, str]) -> str:
    """Why a Standard Webhooks signature does not verify ("" when one of them does)."""
    msg_id, stamp = headers.get("webhook-id"), headers.get("webhook-timestamp")
    sent = headers.get("webhook-signature")
    if not (msg_id and stamp and sent):
        return "webhook-id, webhook-timestamp or webhook-signature header missing"
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{stamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for candidate in sent.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return ""
    return "no v1 signature matches"


PROPERTIES = [
    Property("job_lifecycle_audio_webhook", job_lifecycle,
             lambda n: [("PUT", ROUTE, 4.0), ("GET", ROUTE, 0)] * min(n, 3), webhooks=True),
    Property("idempotent_replay", idempotent_replay,
             lambda n: [("PUT", ROUTE, 1.0), ("PUT", ROUTE, 1.0)] * min(n, 2)),
    Property("missing_key_and_error_shape", keys_and_errors,
             lambda n: [("GET", ROUTE, 0), ("GET", ROUTE, 0), ("PUT", ROUTE, 0)],
             max_examples=1),
]
