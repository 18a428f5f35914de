"""Soundpiece's HTTP operations: PUT submits an operation, GET polls it (optionally
long-polling); outputs are FLAC files behind signed, expiring URLs; terminal operations
with a ``callback_url`` are POSTed there, signed per Standard Webhooks."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from connexion import request

from mockserver.audio import decode, encode_flac
from mockserver.core.files import PREFIX as FILES_PREFIX
from mockserver.core.files import Renderer
from mockserver.core.jobs.engine import Finalizer, Webhook
from mockserver.core.jobs.submit import NewTask, Submission, base36_ids
from mockserver.core.jobs.tasks import TASK_FAILED, TASK_SUCCEEDED, Task
from mockserver.core.jobs.webhooks import standard_webhook_headers
from mockserver.core.services import Services
from mockserver.http.errors import ApiError
from mockserver.http.origins import origin_of
from mockserver.openapi.routing import Route
from mockserver.providers.soundpiece.errors import NOT_FOUND
from mockserver.providers.soundpiece.model import (
    DEFAULT_LONG_POLL,
    DEFAULT_URL_TTL,
    FAILURE,
    OPERATIONS,
    PROVIDER,
    SAMPLE_RATE,
    Operation,
    check_secrets,
    credits_for,
    job_seconds,
    local_file,
    output_name,
    output_samples,
    output_source,
    parse_output_name,
    to_rate,
    variation_seed,
    webhook_secret,
)

CREDITS = "credits"
PROCESSING, READY, OPERATION_FAILED = "processing", "ready", "failed"
"""An operation's ``status`` values."""
STATUS_OF = {TASK_SUCCEEDED: READY, TASK_FAILED: OPERATION_FAILED}
OPERATION_IDS = base36_ids("op_", 26)


class SoundpieceHandlers:
    """Submit and poll for every route in ``specs/soundpiece.yaml``."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.config = services.settings.provider_config(PROVIDER)
        check_secrets(self.config)
        self.url_ttl = float(self.config.get("url_ttl_seconds", DEFAULT_URL_TTL))
        self.long_poll = float(self.config.get("long_poll_seconds", DEFAULT_LONG_POLL))

    # --- helpers -------------------------------------------------------------------------
    def _dto(self, op: Operation, task: Task, status: str, origin: str) -> dict[str, Any]:
        outputs = None
        if status == READY:
            outputs = []
            for index in range(task.result["variations"]):
                url, expires = self.services.files.url(
                    origin, PROVIDER, output_name(task.id, index), self.url_ttl)
                outputs.append({"url": url, "expires_at": self.services.clock.isoformat(expires),
                                "duration": task.result["samples"] / SAMPLE_RATE})
        error = task.error if status == OPERATION_FAILED else None
        return op.dto(task.id, status, self.services.clock.isoformat(task.created_at),
                      task.request, outputs, error)

    def _status(self, task: Task) -> str:
        step = task.status_at(self.services.clock.now())
        return STATUS_OF.get(step, step)

    def _task(self, op: Operation, op_id: str, user: str) -> Task:
        task = self.services.tasks.get(PROVIDER, op_id)
        if (task is None or task.kind != op.route
                or not self.services.tasks.owned_by(task, user)):
            raise ApiError(404, NOT_FOUND)
        return task

    def _remix_source(self, request_: Mapping[str, Any], origin: str) -> str | None:
        """The path of the source when it is audio this server serves and may remix: a
        Soundpiece output must exist already, so remixes never refer to later ones."""
        url = (request_.get("source") or {}).get("url")
        path = local_file(url, origin) if isinstance(url, str) else None
        if path is None:
            return None
        parsed = parse_output_name(path.rsplit("/", 1)[-1])
        if path.startswith(f"{FILES_PREFIX}{PROVIDER}/") and (
                parsed is None or self.services.tasks.get(PROVIDER, parsed[0]) is None):
            return None
        return path

    def _recipe(self, op: Operation, request_: Mapping[str, Any], origin: str) -> dict[str, Any]:
        return {"origin": origin, "samples": output_samples(op.seconds(request_)),
                "variations": op.variations(request_), "style": op.style_text(request_),
                "source": self._remix_source(request_, origin) if op.kind == "remix" else None}

    def _operation(self, op: Operation, request_: dict[str, Any], origin: str) -> NewTask:
        """The task of an operation: processing until its work is done; paid unless it
        fails."""
        recipe = self._recipe(op, request_, origin)
        work = self.services.clock.job_seconds(job_seconds(recipe["samples"]))
        return NewTask(
            kind=op.route, request=request_, failure_text=op.failure_text(request_),
            error=FAILURE, result=recipe, cost=credits_for(recipe["samples"],
                                                           recipe["variations"]),
            schedule=lambda now, fails: [
                (PROCESSING, now), (TASK_FAILED if fails else TASK_SUCCEEDED, now + work)])

    # --- operations ----------------------------------------------------------------------
    def submit(self, op: Operation, body: dict[str, Any], user: str) -> Any:
        """PUT: start an operation (or replay the original answer to its idempotency key)."""
        request_ = op.request(body)
        origin = origin_of(request)
        return self.services.jobs.submit(Submission(
            provider=PROVIDER, owner=user, ids=OPERATION_IDS, unit=CREDITS,
            charge_failed=False,  # failed operations cost nothing
            tasks=lambda _seq: [self._operation(op, request_, origin)],
            answer=lambda tasks: {op.key: self._dto(op, tasks[0], PROCESSING, origin)},
            callback_url=request_["callback_url"],
            idempotency_key=request_["idempotency_key"],
            fingerprint={"route": op.route, **request_})).body

    async def poll(self, op: Operation, id: str, user: str, wait: bool = False) -> Any:
        """GET: the operation now, or (``wait=true``) as soon as it is terminal."""
        task = self._task(op, id, user)
        if wait and not task.is_terminal(self.services.clock.now()):
            task = await self.services.engine.wait_terminal(PROVIDER, id, self.long_poll) or task
        return {op.key: self._dto(op, task, self._status(task), origin_of(request))}

    # --- machinery callbacks -------------------------------------------------------------
    def finalize(self, task: Task) -> Webhook | None:
        """The signed callback for a terminal operation, when it has a URL and a secret."""
        secret = webhook_secret(self.config, task.owner, self.services.store.keys.digest)
        if not task.callback_url or not secret:
            return None
        op = OPERATIONS[task.kind]
        status = STATUS_OF[task.outcome]
        data = self._dto(op, task, status, task.result["origin"])
        body = json.dumps({"type": f"{op.route}.{status}", "data": data}).encode()
        headers = standard_webhook_headers(secret, f"msg_{task.id}",
                                           int(self.services.clock.now()), body)
        return Webhook(task.callback_url, body, headers)

    def render_file(self, name: str) -> tuple[bytes, str] | None:
        """An output's FLAC, rendered on first fetch and cached."""
        parsed = parse_output_name(name)
        task = self.services.tasks.get(PROVIDER, parsed[0]) if parsed else None
        if task is None or parsed is None or parsed[1] >= task.result["variations"]:
            return None
        if self._status(task) != READY:
            return None
        index = parsed[1]
        data = self.services.rendered(
            f"{PROVIDER}:{name}", lambda: encode_flac(output_source(
                OPERATIONS[task.kind].kind, task.result,
                variation_seed(self.services.seed, task.id, index), index,
                self._source_audio(task.result.get("source")))))
        return data, "audio/flac"

    def _source_audio(self, path: str | None) -> np.ndarray | None:
        try:
            found = self.services.files.render_local(path) if path else None
            if found is None:
                return None
            samples, rate = decode(found[0])
        except (ApiError, RuntimeError, ValueError):  # unreadable: remix the URL's text instead
            return None
        return to_rate(samples, rate)


def handler_table(services: Services) -> Mapping[Route, Callable[..., Any]]:
    """The (method, path) table for ``specs/soundpiece.yaml``."""
    h = SoundpieceHandlers(services)
    table: dict[Route, Callable[..., Any]] = {}
    for route, op in OPERATIONS.items():
        table[("PUT", f"/v1/{route}")] = _submitter(h, op)
        table[("GET", f"/v1/{route}")] = _poller(h, op)
    return table


def finalizer(services: Services) -> Finalizer:
    """The job finalizer of one server: a terminal operation's signed callback."""
    return SoundpieceHandlers(services).finalize


def file_renderer(services: Services) -> Renderer:
    """The renderer of one server's ``/_mock/files/soundpiece/`` outputs."""
    return SoundpieceHandlers(services).render_file


def _submitter(h: SoundpieceHandlers, op: Operation) -> Callable[..., Any]:
    def submit(body: dict[str, Any], user: str) -> Any:
        return h.submit(op, body, user)
    submit.__doc__ = f"PUT /v1/{op.route}"
    return submit


def _poller(h: SoundpieceHandlers, op: Operation) -> Callable[..., Any]:
    async def poll(id: str, user: str, wait: bool = False) -> Any:
        return await h.poll(op, id, user, wait)
    poll.__doc__ = f"GET /v1/{op.route}"
    return poll
