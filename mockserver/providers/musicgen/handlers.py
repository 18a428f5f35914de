"""Music Gen AI's HTTP operations: start generation tasks, report them, serve their WAVs."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from connexion import request
from starlette.responses import Response

from mockserver.core.jobs.submit import NewTask, Submission, Submitted
from mockserver.core.jobs.tasks import Task, make_uuid
from mockserver.core.renders import Overloaded
from mockserver.core.services import Services
from mockserver.http.errors import ApiError
from mockserver.http.origins import api_base
from mockserver.openapi.routing import Route, on_loop
from mockserver.providers.musicgen.errors import LimitError, overloaded
from mockserver.providers.musicgen.model import (
    API_VERSION,
    COMPLETED,
    FAILURE_ERROR,
    FILE_NOT_FOUND,
    MAX_CONCURRENT,
    MODELS,
    PROCESSING,
    PROVIDER,
    TASK_NOT_FOUND,
    MultiTrack,
    default_seed,
    eta_seconds,
    generation_from,
    has_file,
    multitrack_eta,
    multitrack_from,
    parse_file_name,
    render_file,
    schedule,
    task_status,
)


def started(task: Task) -> dict[str, Any]:
    """A started task as the submission answers list it: its id, status and eta."""
    return {"task_id": task.id, "status": PROCESSING,
            "eta": math.ceil(task.result["work_seconds"])}


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
        """Raise the concurrency 429 unless ``wanted`` more generations fit (``Jobs.submit``
        calls it inside the transaction that starts them, so the check holds)."""
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

    def task(self, kind: str, stored: dict[str, Any], prompt_text: str,
             realistic_seconds: float, result: dict[str, Any] | None = None) -> NewTask:
        """A task for the ``stored`` request taking ``realistic_seconds`` of work on this
        clock (its ``eta``)."""
        work = self.services.clock.job_seconds(realistic_seconds)
        return NewTask(kind=kind, request=stored, failure_text=prompt_text, error=FAILURE_ERROR,
                       result={"work_seconds": work, **(result or {})},
                       schedule=lambda now, fails: schedule(now, work, fails))

    def submit(self, owner: str, wanted: int, tasks: Callable[[int], Sequence[NewTask]],
               answer: Callable[[Sequence[Task]], Any], live: bool = False) -> Submitted:
        """Start ``wanted`` tasks (first submission number -> tasks) if they fit."""
        return self.services.jobs.submit(Submission(
            provider=PROVIDER, owner=owner, tasks=tasks, answer=answer, live=live,
            admit=lambda: self.check_room(owner, wanted)))

    def default_seed(self, seq: int) -> int:
        """The seed of submission ``seq`` when its request names none."""
        return default_seed(self.services.seed, seq)


class MusicGenHandlers:
    """One method per operation in ``specs/musicgen.yaml``, plus the file renderer."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.generations = Generations(services)

    def _generation(self, body: dict[str, Any], seq: int,
                    result: dict[str, Any] | None = None) -> NewTask:
        gen = generation_from(body, self.generations.default_seed(seq))
        return self.generations.task("generate", gen.to_dict(), gen.prompt, eta_seconds(gen),
                                     result)

    # --- operations --------------------------------------------------------------------
    def generate(self, body: dict[str, Any], user: str) -> dict[str, Any]:
        """POST /generate: start one generation task."""
        return self.generations.submit(
            user, 1, lambda seq: [self._generation(body, seq)],
            lambda tasks: started(tasks[0])).body

    def generate_batch(self, body: dict[str, Any], user: str) -> dict[str, Any]:
        """POST /generate/batch: one task per item, all or none."""
        items = body["requests"]

        def tasks(first: int) -> list[NewTask]:
            batch = {"batch_id": make_uuid(self.services.seed, PROVIDER, first, "batch")}
            return [self._generation(item, first + offset, batch)
                    for offset, item in enumerate(items)]

        return self.generations.submit(
            user, len(items), tasks,
            lambda made: {"batch_id": made[0].result["batch_id"],
                          "tasks": [started(task) for task in made]}).body

    def multi_instrument(self, body: dict[str, Any], user: str) -> dict[str, Any]:
        """POST /multi-instrument: one task rendering a stem per instrument and their mix."""
        def task(seq: int) -> list[NewTask]:
            mt: MultiTrack = multitrack_from(body, self.generations.default_seed(seq))
            prompts = " ".join(prompt for _, prompt in mt.instruments)
            return [self.generations.task("multi_instrument", mt.to_dict(), prompts,
                                          multitrack_eta(mt))]

        return self.generations.submit(user, 1, task, lambda tasks: started(tasks[0])).body

    @on_loop
    def get_task(self, task_id: str, user: str) -> dict[str, Any]:
        """GET /generate/{task_id}: the task as it is now (tasks belong to their key)."""
        task = self.services.tasks.get(PROVIDER, task_id)
        if task is None or not self.services.tasks.owned_by(task, user):
            raise ApiError(404, TASK_NOT_FOUND, code="TASK_NOT_FOUND")
        base = api_base(request, f"/generate/{task_id}")
        return task_status(task, self.services.clock.now(), base)

    @on_loop
    def models(self, user: str) -> dict[str, Any]:
        """GET /models: the models a request may name."""
        return {"models": [dict(m) for m in MODELS]}

    @on_loop
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
