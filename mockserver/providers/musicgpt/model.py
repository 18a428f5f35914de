"""MusicGPT's domain rules: sound-generation requests, credits, the task schedule, and the
shapes of a conversion (``GET /v1/byId``) and of the webhook payload.

Pure rules plus rendering through the shared audio engine; tasks live in the shared task
store (``jobs.tasks``), so this provider has no tables of its own. HTTP lives in ``handlers``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mockserver.audio import SAMPLE_RATE, MusicSource, encode_mp3, features_from_prompt, plan
from mockserver.core.jobs.tasks import Task

PROVIDER = "musicgpt"
CONVERSION_TYPE = "SOUND_GENERATOR"
KIND = "sound_generator"

DEFAULT_SECONDS = 30
"""``audio_length`` when the request has none (the docs' example value)."""
MIN_SECONDS, MAX_SECONDS = 1, 300
"""The lengths the mock renders; other values are clamped (the docs give no bounds)."""
CREDITS_PER_SECOND = 1
"""Credits charged per second of requested (clamped) audio (the docs give no price)."""
QUEUE_SECONDS = 2.0
"""Realistic time in IN_QUEUE before work starts."""
WORK_SECONDS_BASE, WORK_SECONDS_PER_AUDIO_SECOND = 3.0, 0.1
"""Realistic time in IN_PROGRESS: 3 s plus 0.1 s per second of audio (30 s audio: 6 s)."""
FILE_TTL_SECONDS = 24 * 3600
"""How long a signed ``audio_url`` stays valid (mock time)."""

IN_QUEUE, IN_PROGRESS, COMPLETED, CONVERSION_FAILED = (
    "IN_QUEUE", "IN_PROGRESS", "COMPLETED", "FAILED")
"""A conversion's ``status`` values."""
STATUS_MESSAGES = {
    IN_QUEUE: "Conversion is in queue",
    IN_PROGRESS: "Conversion in progress",
    COMPLETED: "Conversion successful",
}
FAILURE_MESSAGE = "Sound generation failed"
FAILURE_ERROR = {"message": f"{FAILURE_MESSAGE} (failure requested from the mock)"}
"""The error a failed task carries (its ``status_msg``)."""
PUBLISHED = "Successfully published to queue"
TITLE_CHARS = 80


@dataclass(frozen=True)
class Length:
    """The audio length a request gets, and a note when it differs from the one asked for."""

    seconds: int
    note: str | None


def audio_length(requested: int | None) -> Length:
    """Default an absent ``audio_length`` and clamp it into what the mock renders."""
    if requested is None:
        return Length(DEFAULT_SECONDS, None)
    seconds = max(MIN_SECONDS, min(MAX_SECONDS, requested))
    if seconds == requested:
        return Length(seconds, None)
    return Length(seconds, f"audio_length {requested} s is outside {MIN_SECONDS}..{MAX_SECONDS} s;"
                           f" generating {seconds} s")


def credits_for(seconds: int) -> int:
    """The credit charge (and ``credit_estimate``) of a generation of ``seconds``."""
    return seconds * CREDITS_PER_SECOND


def submit_message(length: Length) -> str:
    """The 200 response's ``message``: the documented text, plus a clamping note."""
    return PUBLISHED if length.note is None else f"{PUBLISHED} ({length.note})"


def schedule(created_at: float, seconds: int, fails: bool,
             job_seconds: Callable[[float], float]) -> list[tuple[str, float]]:
    """IN_QUEUE -> IN_PROGRESS -> COMPLETED | FAILED, with durations scaled by the clock."""
    started = created_at + job_seconds(QUEUE_SECONDS)
    finished = started + job_seconds(WORK_SECONDS_BASE + WORK_SECONDS_PER_AUDIO_SECOND * seconds)
    return [(IN_QUEUE, created_at), (IN_PROGRESS, started),
            (CONVERSION_FAILED if fails else COMPLETED, finished)]


def eta_seconds(steps: list[tuple[str, float]]) -> int:
    """Whole seconds from submission to the terminal step (0 on the instant clock)."""
    return max(0, round(steps[-1][1] - steps[0][1]))


def title_for(prompt: str) -> str:
    """A title from the prompt: its words, collapsed, at most ``TITLE_CHARS`` characters."""
    words = " ".join(prompt.split())
    return words if len(words) <= TITLE_CHARS else words[:TITLE_CHARS - 1].rstrip() + "…"


def render_seed(seed: int, task_id: str) -> int:
    """The synthesizer seed of a task: from the server seed and the task id."""
    return int(hashlib.sha256(f"{seed}:{PROVIDER}:{task_id}".encode()).hexdigest()[:12], 16)


def render_mp3(prompt: str, seconds: int, seed: int) -> bytes:
    """The MP3 of a sound generation: exactly ``seconds`` long, music shaped by the prompt."""
    piece = plan(features_from_prompt(prompt), float(seconds), seed, SAMPLE_RATE)
    return encode_mp3(MusicSource(piece), SAMPLE_RATE)


def file_name(task_id: str) -> str:
    """The name the audio of a task is served under."""
    return f"{task_id}.mp3"


def task_id_of(name: str) -> str | None:
    """The task id behind a served file name, or None."""
    return name.removesuffix(".mp3") if name.endswith(".mp3") else None


def updated_at(task: Task, now: float) -> float:
    """When the task last changed status (its last step reached by ``now``)."""
    reached = [at for _, at in task.schedule if at <= now]
    return max(reached) if reached else task.created_at


def status_msg(task: Task, status: str) -> str:
    """The human-readable message for a status."""
    if status == CONVERSION_FAILED:
        return (task.error or {}).get("message", FAILURE_MESSAGE)
    return STATUS_MESSAGES[status]


def conversion(task: Task, now: float, audio_url: str | None,
               isoformat: Callable[[float], str]) -> dict[str, Any]:
    """The ``conversion`` object of ``GET /v1/byId`` at ``now``."""
    status = task.status_at(now)
    done = status == COMPLETED
    return {
        "task_id": task.id,
        "conversion_id": task.result["conversion_id"],
        "status": status,
        "status_msg": status_msg(task, status),
        "audio_url": audio_url if done else None,
        "conversion_cost": task.result["credits"],
        "conversion_duration": float(task.result["seconds"]) if done else None,
        "title": task.result["title"],
        "lyrics": None,
        "music_style": None,
        "conversion_type": CONVERSION_TYPE,
        "createdAt": isoformat(task.created_at),
        "updatedAt": isoformat(updated_at(task, now)),
    }


def webhook_payload(task: Task, audio_url: str | None,
                    isoformat: Callable[[float], str]) -> dict[str, Any]:
    """The body POSTed to ``webhook_url`` when the task is terminal (docs' webhook sample)."""
    status = task.status_at(task.terminal_at)
    return {
        "task_id": task.id,
        "conversion_id": task.result["conversion_id"],
        "status": status,
        "status_msg": status_msg(task, status),
        "conversion_type": CONVERSION_TYPE,
        "audio_url": audio_url if status == COMPLETED else None,
        "title": task.result["title"],
        "conversion_cost": task.result["credits"],
        "createdAt": isoformat(task.created_at),
        "updatedAt": isoformat(task.terminal_at),
    }

