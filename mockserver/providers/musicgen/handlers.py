"""Music Gen AI's HTTP operations: start generation tasks, report them, serve their WAVs."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from connexion import request
from starlette.responses import Response

from mockserver.http.errors import ApiError
from mockserver.http.origins import api_base
from mockserver.core.jobs.tasks import make_uuid
from mockserver.core.renders import Overloaded
from mockserver.openapi.routing import Route
from mockserver.core.services import Services
from mockserver.providers.musicgen.model import (
    API_VERSION, COMPLETED, FILE_NOT_FOUND, MAX_CONCURRENT, MODELS, PROVIDER, TASK_NOT_FOUND,
    Generation, MultiTrack, default_seed, eta_seconds, failure, generation_from,
    has_file, multitrack_eta, multitrack_from, parse_file_name, render_file, schedule, task_status,
)


class LimitError(ApiError):
    """A 429 for the concurrency limit, with ``details`` for the error body."""

    def __init__(self, message: str, headers: Mapping[str, str],
                 details: Mapping[str, Any]) -> None:
        super().__init__(429, message, code="CONCURRENCY_LIMIT_EXCEEDED", headers=headers)
        self.details = dict(details)


def overloaded(exc: Overloaded) -> ApiError:
    """Every render slot is taken: the spec's 503 ``SERVICE_OVERLOADED`` with Retry-After."""
    return ApiError(503, str(exc), code="SERVICE_OVERLOADED", headers=exc.headers)


class Generations:
    """Starting generations within the account's concurrency limit (REST and websocket)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def busy(self, owner: str) -> int:
        """Generations of ``owner`` running now: unfinished tasks and live streams."""
        now = self.services.clock.now()
        return (self.services.tasks.running(PROVIDER, owner, now)
                + self.services.live.count(PROVIDER, owner))

    def check_room(self, owner: str, wanted: int) -> None:
        """Raise the concurrency 429 unless ``wanted`` more generations fit. Call inside
        ``store.transaction()`` together with starting them, so the check holds."""
        busy = self.busy(owner)
        if busy + wanted <= MAX_CONCURRENT:
            return
        now = self.services.clock.now()
        next_end = self.services.tasks.next_end(PROVIDER, owner, now)
        # No task to wait for: live streams hold the slots, and they end when their clients
        # are done, so the best advice is "soon".
        wait = max(1, math.ceil(next_end - now)) if next_end is not None else 1
        headers = {"X-RateLimit-Limit": str(MAX_CONCURRENT), "X-RateLimit-Remaining": "0",
                   "X-RateLimit-Reset": str(math.ceil(now) + wait), "Retry-After": str(wait)}
        raise LimitError(
            f"Concurrency limit exceeded: {busy} of {MAX_CONCURRENT} generations are running"
            f" for this account" + (f" and this request needs {wanted}" if wanted > 1 else "")
            + f"; retry in {wait} seconds", headers,
            {"limit": MAX_CONCURRENT, "running": busy, "requested": wanted})

    def start(self, owner: str, kind: str, seq: int, stored: dict[str, Any],
              prompt_text: str, realistic_seconds: float,
              result: dict[str, Any] | None = None) -> dict[str, Any]:
        """Add task number ``seq`` for the ``stored`` request (inside the caller's
        transaction), taking ``realistic_seconds`` of work on this clock; returns the
        submission answer, whose ``eta`` is that time on this clock."""
        services, clock = self.services, self.services.clock
        task_id = make_uuid(services.seed, PROVIDER, seq, "task")
        fails = services.failures.should_fail(PROVIDER, prompt_text)
        now = clock.now()
        work = clock.job_seconds(realistic_seconds)
        outcome, error = failure(fails)
        services.tasks.add(
            id=task_id, provider=PROVIDER, seq=seq, owner=owner, kind=kind, request=stored,
            schedule=schedule(now, work, fails), outcome=outcome, error=error,
            result={"work_seconds": work, **(result or {})}, callback_url=None,
            created_at=now)
        return {"task_id": task_id, "status": "processing", "eta": math.ceil(work)}

    def next_seq(self) -> int:
        """The submission number of the next task (a batch's items follow it)."""
        return self.services.tasks.next_seq(PROVIDER)


class MusicGenHandlers:
    """One method per operation in ``specs/musicgen.yaml``, plus the file renderer."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.generations = Generations(services)

    def _generation(self, body: dict[str, Any], seq: int) -> Generation:
        return generation_from(body, default_seed(self.services.seed, seq))

    # --- operations --------------------------------------------------------------------
    def generate(self, body: dict[str, Any], user: str) -> dict[str, Any]:
        """POST /generate: start one generation task."""
        with self.services.store.transaction():
            self.generations.check_room(user, 1)
            seq = self.generations.next_seq()
            gen = self._generation(body, seq)
            answer = self.generations.start(user, "generate", seq, gen.to_dict(), gen.prompt,
                                            eta_seconds(gen))
        self.services.jobs.submitted()
        return answer

    def generate_batch(self, body: dict[str, Any], user: str) -> dict[str, Any]:
        """POST /generate/batch: one task per item, all or none."""
        items = body["requests"]
        with self.services.store.transaction():
            self.generations.check_room(user, len(items))
            first = self.generations.next_seq()
            batch_id = make_uuid(self.services.seed, PROVIDER, first, "batch")
            tasks = []
            for offset, item in enumerate(items):
                gen = self._generation(item, first + offset)
                tasks.append(self.generations.start(
                    user, "generate", first + offset, gen.to_dict(), gen.prompt,
                    eta_seconds(gen), result={"batch_id": batch_id}))
        self.services.jobs.submitted()
        return {"batch_id": batch_id, "tasks": tasks}

    def multi_instrument(self, body: dict[str, Any], user: str) -> dict[str, Any]:
        """POST /multi-instrument: one task rendering a stem per instrument and their mix."""
        with self.services.store.transaction():
            self.generations.check_room(user, 1)
            seq = self.generations.next_seq()
            mt: MultiTrack = multitrack_from(body, default_seed(self.services.seed, seq))
            prompts = " ".join(prompt for _, prompt in mt.instruments)
            answer = self.generations.start(user, "multi_instrument", seq, mt.to_dict(),
                                            prompts, multitrack_eta(mt))
        self.services.jobs.submitted()
        return answer

    def get_task(self, task_id: str, user: str) -> dict[str, Any]:
        """GET /generate/{task_id}: the task as it is now (tasks belong to their key)."""
        task = self.services.tasks.get(PROVIDER, task_id)
        if task is None or not self.services.tasks.owned_by(task, user):
            raise ApiError(404, TASK_NOT_FOUND, code="TASK_NOT_FOUND")
        base = api_base(request, f"/generate/{task_id}")
        return task_status(task, self.services.clock.now(), base)

    def models(self, user: str) -> dict[str, Any]:
        """GET /models: the models a request may name."""
        return {"models": [dict(m) for m in MODELS]}

    def health(self) -> dict[str, Any]:
        """GET /health: always healthy (no key, no rate limit)."""
        return {"status": "healthy", "version": API_VERSION,
                "timestamp": self.services.clock.isoformat()}

    def audio(self, file: str) -> Response:
        """GET /audio/{file}: a completed task's WAV (the mix, a stem, or the generation)."""
        try:
            found = self.render(file)
        except Overloaded as exc:
            raise overloaded(exc) from None
        if found is None:
            raise ApiError(404, FILE_NOT_FOUND, code="TASK_NOT_FOUND")
        return Response(found, media_type="audio/wav")

    # --- rendering ---------------------------------------------------------------------
    def render(self, file: str) -> bytes | None:
        """The bytes of ``file`` if its task is completed (rendered once, then cached)."""
        parsed = parse_file_name(file)
        if parsed is None:
            return None
        task_id, stem = parsed
        task = self.services.tasks.get(PROVIDER, task_id)
        if (task is None or task.status_at(self.services.clock.now()) != COMPLETED
                or not has_file(task.kind, task.request, stem)):
            return None
        return self.services.rendered(
            f"{PROVIDER}:{file}", lambda: render_file(task.kind, task.request, stem))


def handler_table(services: Services) -> Mapping[Route, Callable[..., Any]]:
    """The (method, path) table for ``specs/musicgen.yaml``."""
    h = MusicGenHandlers(services)
    return {
        ("POST", "/generate"): h.generate,
        ("POST", "/generate/batch"): h.generate_batch,
        ("GET", "/generate/{task_id}"): h.get_task,
        ("POST", "/multi-instrument"): h.multi_instrument,
        ("GET", "/models"): h.models,
        ("GET", "/health"): h.health,
        ("GET", "/audio/{file}"): h.audio,
    }
