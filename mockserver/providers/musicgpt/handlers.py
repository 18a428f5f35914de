"""MusicGPT's HTTP operations: submit a sound generation, poll it, and what happens when it
is done (the webhook) and its audio file is fetched."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from connexion import request

from mockserver.http.errors import ApiError
from mockserver.http.origins import origin_of
from mockserver.core.jobs.engine import Webhook
from mockserver.core.jobs.tasks import SUCCEEDED, Task, make_uuid
from mockserver.openapi.routing import Route
from mockserver.core.services import Services
from mockserver.providers.musicgpt.model import (
    BOTH_OR_NEITHER, COMPLETED, CONVERSION_TYPE, FILE_TTL_SECONDS, IDEMPOTENCY_CONFLICT, KIND,
    NOT_FOUND, PROVIDER, audio_length, conversion, credits_for, eta_seconds, failure, file_name,
    render_mp3, render_seed, schedule, submit_message, task_id_of, title_for, webhook_payload,
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

    def _check_webhook_url(self, body: dict[str, Any]) -> None:
        """A 422 when the submission's ``webhook_url`` (blank: none) may not be called."""
        url = body.get("webhook_url") or None
        refusal = self.services.webhooks.targets.check(url) if url is not None else None
        if refusal is not None:
            raise ApiError(422, f"webhook_url: {refusal.reason}")

    def _submit(self, body: dict[str, Any], user: str, origin: str) -> dict[str, Any]:
        services, clock = self.services, self.services.clock
        length = audio_length(body.get("audio_length"))
        credits = credits_for(length.seconds)
        services.accounts.charge(PROVIDER, user, credits, CREDITS)
        prompt = body["prompt"]
        fails = services.failures.should_fail(PROVIDER, prompt)
        seq = services.tasks.next_seq(PROVIDER)
        task_id = make_uuid(services.seed, PROVIDER, seq, "task")
        conversion_id = make_uuid(services.seed, PROVIDER, seq, "conversion")
        now = clock.now()
        steps = schedule(now, length.seconds, fails, clock.job_seconds)
        outcome, error = failure(fails)
        services.tasks.add(
            id=task_id, provider=PROVIDER, seq=seq, owner=user, kind=KIND, request=body,
            schedule=steps, outcome=outcome, error=error,
            result={"conversion_id": conversion_id, "seconds": length.seconds,
                    "credits": credits, "title": title_for(prompt), "origin": origin},
            callback_url=body.get("webhook_url") or None, created_at=now)
        return {
            "success": True,
            "task_id": task_id,
            "conversion_id": conversion_id,
            "eta": eta_seconds(steps),
            "credit_estimate": float(credits),
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
        """POST /v1/sound_generator: charge, queue a task, answer with its ids at once."""
        self._check_webhook_url(body)  # before anything is charged, stored or replayed
        key = request.headers.get("idempotency-key") or None
        idempotency = self.services.idempotency
        with self.services.store.transaction():
            if key is not None:
                stored = idempotency.replay(PROVIDER, user, key, body, IDEMPOTENCY_CONFLICT)
                if stored is not None:
                    return stored.body, stored.status
            answer = self._submit(body, user, origin_of(request))
            if key is not None:
                idempotency.remember(PROVIDER, user, key, body, 200, answer,
                                     self.services.clock.now())
        self.services.jobs.submitted()
        return answer, 200

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
            self.services.jobs.tick()  # the webhook is queued before the client sees the end
        done = task.status_at(now) == COMPLETED
        url = self._audio_url(origin_of(request), task) if done else None
        return {"success": True,
                "conversion": conversion(task, now, url, self.services.clock.isoformat)}

    # --- machinery callbacks -----------------------------------------------------------
    def finalize(self, task: Task) -> Webhook | None:
        """The webhook of a terminal task, when the submission gave a ``webhook_url``."""
        if not task.callback_url:
            return None
        url = self._audio_url(task.result["origin"], task) if task.outcome == SUCCEEDED else None
        payload = webhook_payload(task, url, self.services.clock.isoformat)
        return Webhook(task.callback_url, json.dumps(payload).encode())

    def render_file(self, name: str) -> tuple[bytes, str] | None:
        """The MP3 of a completed sound generation, rendered on first fetch and cached."""
        task_id = task_id_of(name)
        task = self.services.tasks.get(PROVIDER, task_id) if task_id else None
        if task is None or task.outcome != SUCCEEDED:
            return None
        seed = render_seed(self.services.seed, task.id)
        data = self.services.rendered(
            f"{PROVIDER}:{name}",
            lambda: render_mp3(task.request["prompt"], task.result["seconds"], seed))
        return data, "audio/mpeg"


def handler_table(services: Services) -> Mapping[Route, Callable[..., Any]]:
    """The (method, path) table for ``specs/musicgpt.yaml``; registers the job finalizer
    and the file renderer with this server's machinery."""
    h = MusicGptHandlers(services)
    services.jobs.register(PROVIDER, h.finalize)
    services.files.register(PROVIDER, h.render_file)
    return {
        ("POST", "/v1/sound_generator"): h.sound_generator,
        ("GET", "/v1/byId"): h.by_id,
    }
