"""What every provider's properties share: hypothesis runs over HTTP, bounded job
following, audio checks, missing-key and error-shape probes, webhook checks."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
import soundfile
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from mockserver.audio.encode import decode as decode_audio
from mockserver.openapi.spec_index import index_for
from mockserver.testing.servers import Hook, Receiver

from ..budget import BudgetSpent
from ..core import CheckResult, short
from ..schema import schema_findings
from ..session import Session

# Seconds between polls: on the mock's clock when the suite may move it, else real seconds
# (the session waits at most 10 s of wall time between two polls).
POLL_STEPS = (0.5, 1, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048)
BUDGET = "what --budget-seconds leaves"
ETA_MARGIN = (2.0, 30.0)
"""A job may take twice the eta its submit answer promised, plus 30 s, before it counts as
never completing."""


@dataclass
class Context:
    """What a property gets: the session, how many examples, the webhook receiver if any."""

    session: Session
    examples: int
    receiver: Receiver | None = None
    webhook_url: str | None = None
    webhook_timeout: float = 15.0
    job_timeout: float = 600.0
    """Bound for a job whose submit answer promises no eta (seconds, on the mock's clock when
    the suite moves it)."""
    extra: dict[str, Any] = field(default_factory=dict)

    def violate(self, name: str, operation: str, expected: str, actual: str,
                curl: str = "") -> None:
        """Record a violation in the current check."""
        self.session.violate(name, operation, expected, actual, curl)

    @property
    def result(self) -> CheckResult:
        """The current check's result."""
        assert self.session.result is not None
        return self.session.result

    def ran(self) -> None:
        """One example reached its checks."""
        self.result.exercised += 1

    def not_run(self, reason: str) -> None:
        """One example could not reach its checks, for ``reason``."""
        self.result.not_run.append(reason)

    def accepted(self, response: httpx.Response, operation: str) -> dict | None:
        """The JSON body of a 200 answer; otherwise None, with the reason the example could
        not run (an undocumented answer was already reported by the session)."""
        if response.status_code == 200:
            try:
                body = response.json()
            except ValueError:
                body = None
            if isinstance(body, dict):
                return body
        self.not_run(refusal(response, operation))
        return None


def refusal(response: httpx.Response, operation: str) -> str:
    """Why a call did not give the answer an example needs, in a few words."""
    if response.status_code == 429:
        return f"{operation}: rate limited (429 after retries)"
    return f"{operation} answered {response.status_code}"


@dataclass(frozen=True)
class Property:
    """One semantic contract: a function over a Context, and its planned calls for --dry-run."""

    name: str
    run: Callable[[Context], None]
    plan: Callable[[int], list[tuple[str, str, float]]]
    """examples -> [(METHOD, path, seconds of audio or 0 for a free call)]."""
    max_examples: int = 5
    """Examples are min(--examples, this): each one is a paid generation."""
    webhooks: bool = False


def run_examples(ctx: Context, limit: int, strategy: st.SearchStrategy[Any],
                 body: Callable[[Any], None]) -> None:
    """Run ``body`` over up to ``min(ctx.examples, limit)`` drawn values (no shrinking: a
    violation is recorded, not raised, and each call may cost money)."""
    runs = max(1, min(ctx.examples, limit))

    @settings(max_examples=runs, database=None, deadline=None, derandomize=True,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(strategy)
    def inner(value: Any) -> None:
        body(value)

    inner()


PROMPTS = st.sampled_from(["calm piano", "upbeat jazz trio", "rain on a tin roof",
                           "synthwave, happy", "lofi hip hop beat", "epic orchestral"])


def follow_job(ctx: Context, operation: str, poll: Callable[[], httpx.Response],
               status_of: Callable[[dict], Any], ranks: dict[str, int], terminal: set[str],
               curl: str, eta: Any = None) -> dict | None:
    """Poll a job until terminal, checking it never goes back; its last body, or None.

    The wait is bounded by the eta the submit answer promised (``ETA_MARGIN``), else by
    ``ctx.job_timeout``; on this mock it is mock time (the clock is moved between polls). A
    status outside the documented set fails at once.
    """
    bound, why = job_bound(ctx, eta)
    seen: list[str] = []
    waited, started = 0.0, time.monotonic()
    steps = iter(POLL_STEPS)
    while True:
        response = poll()
        if response.status_code != 200:
            if response.status_code == 429:
                ctx.not_run(refusal(response, operation))
            else:
                ctx.violate("job_lost", operation, "200 with the job just submitted",
                            f"{response.status_code}: {short(response.text, 200)}", curl)
            return None
        body = _json(response)
        status = _status(status_of, body)
        if not _note_status(ctx, operation, seen, status, ranks, curl):
            return None
        if status in terminal:
            break
        if not ctx.session.has_admin():
            waited = time.monotonic() - started
        step = next(steps, POLL_STEPS[-1])
        if waited >= bound and why == BUDGET:
            raise BudgetSpent("--budget-seconds spent while a job was still running")
        if waited >= bound:
            ctx.violate("job_never_completes", operation,
                        f"a terminal status ({', '.join(sorted(terminal))}) within {bound:g} s"
                        f" ({why})", f"still {status!r} after {waited:.0f} s:"
                        f" {' -> '.join(seen)}", curl)
            return None
        step = min(step, bound - waited + 1)
        ctx.session.wait(step)
        waited += step if ctx.session.has_admin() else 0.0
    ctx.ran()
    for _ in range(2):  # a terminal job stays where it is
        ctx.session.wait(1)
        again = poll()
        if again.status_code != 200:
            break
        later = _status(status_of, _json(again))
        if not _note_status(ctx, operation, seen, later, ranks, curl) or later != status:
            break
    return body


def _json(response: httpx.Response) -> Any:
    """The body as JSON, or None (the session's spec check reported an unreadable one)."""
    try:
        return response.json()
    except ValueError:
        return None


def _status(status_of: Callable[[dict], Any], body: Any) -> Any:
    """The job's status in a poll answer, or None when the answer has no readable one."""
    try:
        return status_of(body) if isinstance(body, dict) else None
    except (AttributeError, TypeError, KeyError):
        return None


def job_bound(ctx: Context, eta: Any) -> tuple[float, str]:
    """How long a job may take: (seconds, where that bound comes from)."""
    if isinstance(eta, (int, float)) and not isinstance(eta, bool) and eta > 0:
        factor, margin = ETA_MARGIN
        return eta * factor + margin, f"{factor:g} x the promised eta of {eta:g} s + {margin:g} s"
    left = ctx.session.budget.time_left()
    if left is not None and left < ctx.job_timeout and not ctx.session.has_admin():
        return left, BUDGET
    return ctx.job_timeout, f"no eta promised: --job-timeout {ctx.job_timeout:g} s"


def _note_status(ctx: Context, operation: str, seen: list[str], status: Any,
                 ranks: dict[str, int], curl: str) -> bool:
    """Record a polled status; False (with a violation) when it is undocumented."""
    if not isinstance(status, str) or status not in ranks:
        ctx.violate("enum_violation", operation,
                    f"a documented status ({', '.join(ranks)})",
                    f"{status!r} after {' -> '.join(seen) or 'submit'}", curl)
        return False
    if seen and status != seen[-1]:
        before = seen[-1]
        if ranks[status] <= ranks[before]:
            ctx.violate("lifecycle_backwards", operation,
                        f"statuses only move forward ({' -> '.join(ranks)}), terminal stays",
                        f"{' -> '.join([*seen, status])}", curl)
    if not seen or status != seen[-1]:
        seen.append(status)
    return True


def decode(data: bytes) -> tuple[int, int, str] | None:
    """(frames, sample rate, format) of an audio file, or None when it does not decode."""
    try:
        with soundfile.SoundFile(io.BytesIO(data)) as sound:
            frames = sound.frames
            if frames <= 0 or frames > 10**10:
                frames = len(sound.read(dtype="int16"))
            return frames, sound.samplerate, sound.format
    except (RuntimeError, soundfile.LibsndfileError, TypeError, ValueError):
        return None


def decode_samples(data: bytes) -> tuple[np.ndarray, int] | None:
    """(float samples, sample rate) of an audio file, or None when it does not decode."""
    try:
        samples, rate = decode_audio(data)
    except (RuntimeError, soundfile.LibsndfileError, TypeError, ValueError):
        return None
    return (samples, rate) if len(samples) else None


def check_audio(ctx: Context, operation: str, data: bytes, media_type: str | None,
                fmt: str, seconds: float, curl: str, tolerance: float = 0.05,
                rate: int | None = None) -> None:
    """The audio decodes in the promised format and lasts ``seconds`` (within tolerance)."""
    if media_type is not None and media_type.split(";")[0].strip() != _MEDIA[fmt]:
        ctx.violate("audio_wrong_format", operation, f"Content-Type {_MEDIA[fmt]}",
                    media_type or "(none)", curl)
    decoded = decode(data)
    if decoded is None:
        ctx.violate("audio_undecodable", operation, f"a decodable {fmt} file",
                    f"{len(data)} bytes that do not decode (starts {data[:16]!r})", curl)
        return
    frames, got_rate, got_fmt = decoded
    if got_fmt != fmt:
        ctx.violate("audio_wrong_format", operation, f"{fmt} audio", f"{got_fmt} audio", curl)
    if rate is not None and got_rate != rate:
        ctx.violate("audio_wrong_rate", operation, f"{rate} Hz", f"{got_rate} Hz", curl)
    length = frames / got_rate
    if abs(length - seconds) > max(tolerance, seconds * 0.01):
        ctx.violate("audio_wrong_length", operation,
                    f"{seconds:.3f} s of audio (the reported duration, ±{tolerance} s)",
                    f"{length:.3f} s decoded", curl)


_MEDIA = {"MP3": "audio/mpeg", "WAV": "audio/wav", "FLAC": "audio/flac"}


def fetch_audio(ctx: Context, operation: str, url: str | None, fmt: str, seconds: float,
                rate: int | None = None) -> None:
    """GET an audio URL and check it (see ``check_audio``)."""
    response = download(ctx, operation, url)
    if response is not None:
        check_audio(ctx, operation, response.content, response.headers.get("content-type"),
                    fmt, seconds, f"curl -sS -o audio.bin '{url}'", rate=rate)


def download(ctx: Context, operation: str, url: Any) -> httpx.Response | None:
    """The 200 answer to GET an audio URL, or None with the violation that says why not."""
    curl = f"curl -sS -o audio.bin '{url}'"
    if not isinstance(url, str) or not url:
        ctx.violate("field_dropped", operation, "an audio URL on a finished job", "none", curl)
        return None
    response = ctx.session.fetch(url)
    if response.status_code != 200:
        ctx.violate("audio_unavailable", operation, "200 with the audio file",
                    f"{response.status_code}: {response.text[:200]}", curl)
        return None
    return response


def missing_key_refused(ctx: Context, method: str, path: str, **kwargs: Any) -> None:
    """A call without a key is refused with the documented 401/403 (shape checked too)."""
    response = ctx.session.request(method, path, auth=False, **kwargs)
    if response.status_code == 429:
        ctx.not_run(refusal(response, f"{method} {path} without a key"))
        return
    ctx.ran()
    if response.status_code not in (401, 403):
        ctx.violate("missing_key_accepted", f"{method} {path.split('?')[0]}",
                    "401 (or 403) without a key",
                    f"{response.status_code}: {response.text[:200]}",
                    ctx.session.curl(method, path, **kwargs).split(" -H ")[0])


def refused_with_documented_error(ctx: Context, method: str, path: str, expect: set[int],
                                  **kwargs: Any) -> None:
    """A bad request gets one of the documented error statuses (its body is shape-checked
    against the spec by the session)."""
    response = ctx.session.request(method, path, **kwargs)
    if response.status_code == 429:
        ctx.not_run(refusal(response, f"{method} {path}"))
        return
    ctx.ran()
    if response.status_code not in expect:
        ctx.violate("status_code_changed", f"{method} {path.split('?')[0]}",
                    f"one of {sorted(expect)} for a bad request",
                    f"{response.status_code}: {response.text[:200]}",
                    ctx.session.curl(method, path, **kwargs))


def webhook_for(ctx: Context, operation: str, match: Callable[[Any], bool],
                curl: str) -> Hook | None:
    """The webhook for a job (``match(payload)``), or a ``webhook_missing`` violation."""
    if ctx.receiver is None:
        return None
    # Webhooks leave in the background; give the sender a moment of the mock's clock too.
    if ctx.session.has_admin():
        ctx.session.wait(1)

    def matches(hook: Hook) -> bool:
        try:
            return bool(match(hook.json()))
        except (ValueError, AttributeError, TypeError):
            return False

    hook = ctx.receiver.wait_for(matches, ctx.webhook_timeout)
    if hook is None:
        ctx.violate("webhook_missing", operation,
                    f"a webhook POST to {ctx.webhook_url} within {ctx.webhook_timeout:.0f} s",
                    f"{len(ctx.receiver.received)} other webhook(s), none for this job", curl)
    return hook


def check_payload(ctx: Context, provider: str, schema_name: str, payload: Any,
                  operation: str, curl: str) -> None:
    """A webhook payload has the documented shape."""
    index = index_for(provider)
    schema = index.spec["components"]["schemas"][schema_name]
    for finding in schema_findings(index, schema, payload, False, f"webhook {schema_name} "):
        ctx.violate(finding.name, operation, finding.expected, finding.actual, curl)


def replay_starts_nothing(ctx: Context, operation: str, send: Callable[[], httpx.Response],
                          id_of: Callable[[Any], Any], curl: str) -> None:
    """Send the same idempotent request twice: the replay answers the same id and, where the
    target shows what was spent (the mock's ``/_mock/accounts``), charges nothing."""
    first = send()
    spent = ctx.session.units_used()
    second = send()
    answers = [ctx.accepted(answer, operation) for answer in (first, second)]
    if answers[0] is None or answers[1] is None:
        return
    ctx.ran()
    a, b = id_of(answers[0]), id_of(answers[1])
    if a != b:
        ctx.violate("idempotency_new_work", operation, f"the replay answers {a} again",
                    f"new work: {b}", curl + "   # run twice")
        return
    after = ctx.session.units_used()
    if spent is None or after is None:
        note = "charges not checked: the provider documents no balance to read"
        if note not in ctx.result.notes:
            ctx.result.notes.append(note)
    elif after != spent:
        ctx.violate("idempotency_new_work", operation, "the replay charges nothing",
                    f"the replay of {a} charged {after - spent} more units",
                    curl + "   # run twice")
