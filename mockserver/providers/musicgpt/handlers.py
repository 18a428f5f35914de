"""MusicGPT's HTTP operations: submit a sound generation, poll it, and what happens when it
is done (the webhook) and its audio file is fetched."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from connexion import request

from mockserver.core.files import Renderer
from mockserver.core.jobs.engine import Finalizer, Webhook
from mockserver.core.jobs.submit import NewTask, Submission
from mockserver.core.jobs.tasks import TASK_SUCCEEDED, Task, make_uuid
from mockserver.core.services import Services
from mockserver.http.errors import ApiError
from mockserver.http.origins import origin_of
from mockserver.openapi.routing import Route, on_loop
from mockserver.providers.musicgpt.errors import BOTH_OR_NEITHER, NOT_FOUND
from mockserver.providers.musicgpt.model import (
    COMPLETED,
    CONVERSION_TYPE,
    FAILURE_ERROR,
    FILE_TTL_SECONDS,
    KIND,
    PROVIDER,
    Length,
    audio_length,
    conversion,
    credits_for,
    eta_seconds,
    file_name,
    render_mp3,
    render_seed,
    schedule,
    submit_message,
    task_id_of,
    title_for,
    webhook_payload,
)

CREDITS = "credits"


class MusicGptHandlers:
    """One method per operation in ``specs/musicgpt.yaml``, plus the job finalizer and the
    file renderer the machinery calls back."""

    def __init__(self, services: Services) -> None:
        self.services = services

    # --- helpers -----------------------------------------------------------------------
    def _audio_url(self, origin: str, task: Task) -> str:
        url, _ = self.services.files.url(origin, PROVIDER, file_name(task.id), FILE_TTL_SECONDS)
        return url

    def _generation(self, body: dict[str, Any], length: Length, origin: str,
                    seq: int) -> NewTask:
        """Submission ``seq``: a sound generation of ``length``, paid in credits."""
        credits = credits_for(length.seconds)
        prompt = body["prompt"]
        job_seconds = self.services.clock.job_seconds
        return NewTask(
            kind=KIND, request=body, failure_text=prompt, error=FAILURE_ERROR, cost=credits,
            schedule=lambda now, fails: schedule(now, length.seconds, fails, job_seconds),
            result={"conversion_id": make_uuid(self.services.seed, PROVIDER, seq, "conversion"),
                    "seconds": length.seconds, "credits": credits, "title": title_for(prompt),
                    "origin": origin})

    @staticmethod
    def _submitted(length: Length, task: Task) -> dict[str, Any]:
        """The 200 answer: the task's ids, its eta and price."""
        return {
            "success": True,
            "task_id": task.id,
            "conversion_id": task.result["conversion_id"],
            "eta": eta_seconds(task.schedule),
            "credit_estimate": float(task.result["credits"]),
            "message": submit_message(length),
        }

    def _find(self, user: str, task_id: str | None, conversion_id: str | None) -> Task | None:
        tasks = self.services.tasks
        if task_id is not None:
            task = tasks.get(PROVIDER, task_id)
        else:
            task = tasks.find(PROVIDER, "conversion_id", conversion_id or "")
        # Conversions belong to the key that submitted them.
        return task if task is not None and tasks.owned_by(task, user) else None

    # --- operations --------------------------------------------------------------------
    def sound_generator(self, body: dict[str, Any], user: str) -> tuple[dict[str, Any], int]:
        """POST /v1/sound_generator: charge, queue a task, answer with its ids at once (a
        repeated ``Idempotency-Key`` gets the first answer again)."""
        length = audio_length(body.get("audio_length"))
        origin = origin_of(request)
        submitted = self.services.jobs.submit(Submission(
            provider=PROVIDER, owner=user, unit=CREDITS,
            tasks=lambda seq: [self._generation(body, length, origin, seq)],
            answer=lambda tasks: self._submitted(length, tasks[0]),
            callback_url=body.get("webhook_url") or None,
            idempotency_key=request.headers.get("idempotency-key") or None, fingerprint=body))
        return submitted.body, submitted.status

    @on_loop
    def by_id(self, conversionType: str, user: str, task_id: str | None = None,
              conversion_id: str | None = None) -> dict[str, Any]:
        """GET /v1/byId: one conversion by exactly one of its ids, as it is now."""
        if (task_id is None) == (conversion_id is None):
            raise ApiError(400, BOTH_OR_NEITHER)
        task = self._find(user, task_id, conversion_id)
        if task is None:
            raise ApiError(404, NOT_FOUND)
        if conversionType != CONVERSION_TYPE:
            # The mock only makes SOUND_GENERATOR conversions: another type names none.
            raise ApiError(404, f"{NOT_FOUND} for conversionType {conversionType}")
        now = self.services.clock.now()
        if task.is_terminal(now) and task.finalized_at is None:
            self.services.engine.tick()  # the webhook is queued before the client sees the end
        done = task.status_at(now) == COMPLETED
        url = self._audio_url(origin_of(request), task) if done else None
        return {"success": True,
                "conversion": conversion(task, now, url, self.services.clock.isoformat)}

    # --- machinery callbacks -----------------------------------------------------------
    def finalize(self, task: Task) -> Webhook | None:
        """The webhook of a terminal task, when the submission gave a ``webhook_url``."""
        if not task.callback_url:
            return None
        url = self._audio_url(task.result["origin"], task) if task.outcome == TASK_SUCCEEDED else None
        payload = webhook_payload(task, url, self.services.clock.isoformat)
        return Webhook(task.callback_url, json.dumps(payload).encode())

    def render_file(self, name: str) -> tuple[bytes, str] | None:
        """The MP3 of a completed sound generation, rendered on first fetch and cached."""
        task_id = task_id_of(name)
        task = self.services.tasks.get(PROVIDER, task_id) if task_id else None
        if task is None or task.outcome != TASK_SUCCEEDED:
            return None
        seed = render_seed(self.services.seed, task.id)
        data = self.services.rendered(
            f"{PROVIDER}:{name}",
            lambda: render_mp3(task.request["prompt"], task.result["seconds"], seed))
        return data, "audio/mpeg"


def handler_table(services: Services) -> Mapping[Route, Callable[..., Any]]:
    """The (method, path) table for ``specs/musicgpt.yaml``."""
    h = MusicGptHandlers(services)
    return {
        ("POST", "/v1/sound_generator"): h.sound_generator,
        ("GET", "/v1/byId"): h.by_id,
    }


def finalizer(services: Services) -> Finalizer:
    """The job finalizer of one server: a terminal task's webhook."""
    return MusicGptHandlers(services).finalize


def file_renderer(services: Services) -> Renderer:
    """The renderer of one server's ``/_mock/files/musicgpt/`` files."""
    return MusicGptHandlers(services).render_file
