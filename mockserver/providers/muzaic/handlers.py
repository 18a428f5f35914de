"""Muzaic's HTTP operations: take the validated body, ask the machinery, shape the answer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from connexion import request
from starlette.responses import Response

from mockserver.audio import encode_mp3
from mockserver.core.renders import Overloaded
from mockserver.core.services import Services
from mockserver.http.errors import ApiError
from mockserver.http.origins import origin_of
from mockserver.http.responses import b64, json_with_blob
from mockserver.openapi.routing import Route, on_loop
from mockserver.providers.muzaic.errors import busy, origin_refused
from mockserver.providers.muzaic.model import (
    API_VERSION,
    SAMPLE_RATE,
    Library,
    check_params,
    execution_time,
    requested_hash,
    tag_catalogue,
    tag_warnings,
    tokens_for,
)

PROVIDER = "muzaic"
TOKENS = "tokens"


class MuzaicHandlers:
    """One method per operation in ``specs/muzaic.yaml``."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.library = Library(services.store, services.seed)

    # --- helpers -----------------------------------------------------------------------
    def _mp3(self, cache_key: str, recipe: dict[str, Any],
             known: Mapping[str, dict[str, Any]] | None = None) -> bytes:
        try:
            return self.services.rendered(
                f"muzaic:{cache_key}.mp3",
                lambda: encode_mp3(self.library.file_source(recipe, known)))
        except Overloaded as exc:
            raise busy(exc) from None

    def _mp3_b64(self, cache_key: str, recipe: dict[str, Any],
                 known: Mapping[str, dict[str, Any]] | None = None) -> bytes:
        return self.services.audio_cache.get_or_create(
            f"muzaic:{cache_key}.mp3.b64", lambda: b64(self._mp3(cache_key, recipe, known))
        )

    def _render_slot(self) -> AbstractContextManager[object]:
        """A render slot held for a whole generating request, taken before anything is
        charged or stored: a refused request (429) leaves no trace."""
        renders = self.services.renders
        slot = renders.try_acquire()
        if slot is None:
            raise busy(renders.refusal())
        return renders.holding(slot)

    def _check_origin(self, origin: str, key: str) -> None:
        origins = self.services.settings.provider_config(PROVIDER).get("origins")
        if origins is None:
            return  # no origin configuration: every origin is open, as every key is
        rule = origins.get(origin)
        if rule is None:
            raise origin_refused(origin, "origin")
        if key not in {str(k) for k in rule.get("keys") or []}:
            raise origin_refused(origin, "key")
        if "/soundtrack" not in (rule.get("endpoints") or []):
            raise origin_refused(origin, "endpoint")

    def _result_url(self, name: str) -> str:
        base = origin_of(request) + request.url.path.rsplit("/", 1)[0]
        day = self.services.clock.utcnow().strftime("%Y-%m-%d")
        return f"{base}/result/{day}/{name}"

    # --- operations --------------------------------------------------------------------
    def soundtrack(self, body: dict[str, Any], user: str) -> Response:
        """POST /soundtrack: render regions into one MP3, returned base64-encoded."""
        plan = self.library.plan_soundtrack(body)
        tokens = tokens_for(plan.seconds)
        with self._render_slot():
            self.services.accounts.charge(PROVIDER, user, tokens, TOKENS)
            name, recipe = self.library.keep_soundtrack(plan, self.services.clock.isoformat())
            fields = {
                "apiVersion": API_VERSION,
                "status": plan.status,
                "regions": len(plan.regions),
                "regionHashes": [r.hash for r in plan.regions],
                "audioDuration": plan.seconds,
                "tokensUsed": tokens,
            }
            known = {r.hash: r.recipe for r in plan.regions}  # not read back from the store
            return json_with_blob(fields, "mp3", self._mp3_b64(name, recipe, known))

    def soundtrack_for_origin(self, origin: str, body: dict[str, Any], user: str) -> Response:
        """POST /soundtrack/{origin}: the same, for a key and endpoint allowed for ``origin``."""
        self._check_origin(origin, user)
        return self.soundtrack(body, user)

    def single_file(self, user: str, body: Any = None) -> dict[str, Any]:
        """POST /singleFile: one generated region; the MP3 is served at the returned URL."""
        body = body if isinstance(body, dict) else {}  # the body is optional (docs)
        seconds = float(body.get("duration", 60))
        params = body.get("params")
        tags = body.get("tags") or []
        check_params(params, "body")
        recipe = self.library.generate_recipe(params, tags, seconds, smart=False)
        region_hash = self.library.region_hash(recipe)
        tokens = tokens_for(seconds)
        self.services.accounts.charge(PROVIDER, user, tokens, TOKENS)
        now = self.services.clock.isoformat()
        from mockserver.providers.muzaic.model import (
            Region,  # local: only this operation builds a bare region
        )
        self.library.save_regions(
            [Region(0, 0, round(seconds * SAMPLE_RATE), recipe, region_hash)], now)
        self.library.save_file(f"{region_hash}.mp3", {"kind": "region", "hash": region_hash},
                               seconds, now)
        notes = tag_warnings(tags) + (["completed"] if params else ["no params object"])
        return {
            "apiVersion": API_VERSION,
            "mp3": self._result_url(f"{region_hash}.mp3"),
            "hash": region_hash,
            "status": " | ".join(notes),
            "tokensUsed": tokens,
            "executionTime": execution_time(seconds),
            "audioDuration": round(seconds * SAMPLE_RATE) / SAMPLE_RATE,
        }

    def audio_from_hash(self, body: dict[str, Any], user: str) -> Response:
        """POST /audioFromHash: the MP3 of a region made earlier (``sourceHash`` or ``hash``)."""
        field_name, region_hash = requested_hash(body)
        recipe = self.library.region_recipe(region_hash)
        if recipe is None:
            raise ApiError(404, f"{field_name} {region_hash!r} not found")
        seconds = recipe["seconds"]
        tokens = tokens_for(seconds)
        with self._render_slot():
            self.services.accounts.charge(PROVIDER, user, tokens, TOKENS)
            fields = {
                "apiVersion": API_VERSION,
                "audioDuration": round(seconds * SAMPLE_RATE) / SAMPLE_RATE,
                "tokensUsed": tokens,
                "executionTime": execution_time(seconds),
            }
            mp3 = self._mp3_b64(region_hash, {"kind": "region", "hash": region_hash})
            return json_with_blob(fields, "mp3", mp3)

    @on_loop
    def get_tags(self, user: str) -> dict[str, Any]:
        """GET /getTags: the tag catalogue."""
        return tag_catalogue()

    @on_loop
    def account_details(self, user: str) -> dict[str, Any]:
        """GET /accountDetails: balance and usage of the caller's account."""
        account = self.services.accounts.get_or_create(PROVIDER, user)
        created = account.created_at
        expires = f"{int(created[:4]) + 1}{created[4:]}"
        return {
            "accountId": account.id,
            "name": account.name,
            "tokensRemaining": account.balance,
            "tokensUsed": account.used,
            "plan": "mock",
            "expiresAt": expires,
            "createdAt": created,
            "apiVersion": API_VERSION,
            "freeTokensAvailable": 0,
            "totalUsedTokens": account.used,
            "currentBalance": account.balance,
        }

    def result_file(self, date: str, file: str) -> Response:
        """GET /result/{date}/{file}: an MP3 made by singleFile or soundtrack."""
        recipe = self.library.file_recipe(file)
        if recipe is None:
            raise ApiError(404, f"result file {file!r} not found")
        data = self._mp3(file.removesuffix(".mp3"), recipe)
        return Response(data, media_type="audio/mpeg")


def handler_table(services: Services) -> Mapping[Route, Callable[..., Any]]:
    """The (method, path) table for ``specs/muzaic.yaml``."""
    h = MuzaicHandlers(services)
    return {
        ("POST", "/soundtrack"): h.soundtrack,
        ("POST", "/soundtrack/{origin}"): h.soundtrack_for_origin,
        ("POST", "/singleFile"): h.single_file,
        ("POST", "/audioFromHash"): h.audio_from_hash,
        ("GET", "/getTags"): h.get_tags,
        ("GET", "/accountDetails"): h.account_details,
        ("GET", "/result/{date}/{file}"): h.result_file,
    }
