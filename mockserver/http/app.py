"""Build the one ASGI app: every provider's spec under its prefix, plus ``/_mock``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from urllib.parse import urlparse

import connexion
from connexion.jsonifier import Jsonifier
from connexion.options import SwaggerUIOptions
from starlette.routing import Router, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.core import json_codec
from mockserver.core.faults.rules import check_served
from mockserver.core.services import Services
from mockserver.core.settings import Settings
from mockserver.http import auth
from mockserver.http.admin import admin_app
from mockserver.http.admin_access import AdminAccess, AdminGuard
from mockserver.http.directory import Directory, Mount
from mockserver.http.downloads import MOUNT as DOWNLOADS
from mockserver.http.downloads import downloads_app
from mockserver.http.errors import Hints, install_error_handlers
from mockserver.http.faults import ConnectionAccess, FaultMiddleware
from mockserver.http.input_guard import InputGuard
from mockserver.http.journal import JournalMiddleware, Location, nowhere
from mockserver.http.keys import key_places
from mockserver.http.limits import RateLimitMiddleware, key_reader
from mockserver.http.media_types import DefaultContentType
from mockserver.http.origins import origin_of
from mockserver.http.plain_errors import PLAIN_ERRORS
from mockserver.openapi import direct
from mockserver.openapi.routing import RouteTableResolver
from mockserver.openapi.spec_index import SpecIndex
from mockserver.openapi.specs import load_spec
from mockserver.openapi.validation import validator_map
from mockserver.providers import PROVIDERS, Provider
from mockserver.recording import cassettes
from mockserver.recording.replay import Library, Replayer

JSONIFIER = Jsonifier(json_codec)
"""connexion's JSON answers encoded by the one codec (orjson)."""


class PrefixDispatcher:
    """Send each request to the first app whose path prefix matches; scopes are untouched.

    Each provider is a separate connexion app (with its own error handlers), mounted with
    its full base path, so nothing rewrites ``path``/``root_path`` on the way in.
    """

    def __init__(self, routes: Sequence[tuple[str, ASGIApp]], fallback: ASGIApp,
                 background: Callable[[], Awaitable[None]], websockets: ASGIApp,
                 on_stop: Callable[[], None] = lambda: None) -> None:
        # Longest prefix first, so "/musicgen/api/v1" wins over a shorter one.
        self.routes = sorted(routes, key=lambda r: len(r[0]), reverse=True)
        self.fallback = fallback
        self.background = background
        self.websockets = websockets
        self.on_stop = on_stop

    def app_for(self, path: str) -> ASGIApp:
        """The app that serves ``path``."""
        for prefix, app in self.routes:
            if prefix and (path == prefix or path.startswith(prefix + "/")):
                return app
        return self.fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] == "websocket":
            await self.websockets(scope, receive, send)
            return
        await self.app_for(scope.get("path", "/"))(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        """Run the background loops (jobs, webhooks) for as long as the server runs; on a
        clean stop, ``on_stop`` (queued journal rows are written)."""
        task: asyncio.Task[None] | None = None
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                task = asyncio.create_task(self.background())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                self.on_stop()
                await send({"type": "lifespan.shutdown.complete"})
                return


def server_path(spec: dict) -> str:
    """The path part of the spec's first server URL ("" for a bare host)."""
    servers = spec.get("servers") or [{"url": "/"}]
    return urlparse(servers[0]["url"]).path.rstrip("/")


def selected_providers(settings: Settings) -> list[Provider]:
    """Providers this run serves, in the registry's order."""
    unknown = set(settings.providers) - set(PROVIDERS)
    if unknown:
        raise ValueError(f"unknown provider(s): {', '.join(sorted(unknown))};"
                         f" known: {', '.join(PROVIDERS)}")
    names = settings.providers or tuple(PROVIDERS)
    return [PROVIDERS[n] for n in PROVIDERS if n in names]


def base_path(provider: Provider, spec: dict, at_root: bool) -> str:
    """``/<provider>`` + the spec's server path; only the server path when served at root."""
    return server_path(spec) if at_root else f"/{provider.name}{server_path(spec)}"


def mount(provider: Provider, spec: dict, at_root: bool) -> Mount:
    """Where ``provider`` is served, with its spec's paths."""
    base = base_path(provider, spec, at_root)
    return Mount(provider.name, base, SpecIndex(spec, base))


def provider_app(provider: Provider, spec: dict, services: Services, served: Mount,
                 directory: Directory, direct_lane: bool = True) -> ASGIApp:
    """One connexion app serving one provider's spec at its base path; bodiless operations
    take the direct lane (``openapi/direct.py``) unless ``direct_lane`` is False."""
    base = served.base
    services.store.migrate(provider.schema_sql)
    check = auth.make_key_check(
        services.accounts, provider.name, provider.errors.missing_key,
        provider.invalid_key_message,
    )
    limits = services.settings.input_limits(provider.name)
    app = connexion.AsyncApp(__name__, jsonifier=JSONIFIER, middlewares=direct.middlewares(direct_lane))
    resolver = RouteTableResolver(provider.handlers(services))
    resolver.check_matches(spec)
    app.add_api(
        spec,
        base_path=base,
        resolver=resolver,
        security_map=auth.security_map(check),
        validator_map=validator_map(limits),
        swagger_ui_options=SwaggerUIOptions(swagger_ui=True),
        validate_responses=False,
    )
    install_error_handlers(app, provider.errors, served.index,
                           hints(provider.name, spec, directory))
    limited = with_rate_limit(DefaultContentType(app, served.index), provider, spec, services,
                              base)
    limit = rate_limit(provider, services)
    faulty = FaultMiddleware(
        limited, provider=provider.name, base=base, index=served.index, rules=services.faults,
        clock=services.clock, errors=provider.errors, limit_headers=provider.rate_limit_headers,
        requests_per_window=limit[0] if limit else None, limits=limits)
    return InputGuard(faulty, limits, provider.errors)


def plug_in(provider: Provider, services: Services) -> Mapping[str, Callable[..., object]]:
    """Hand the hooks ``provider`` declares to this server's machinery: its job finalizer
    to the engine, its file renderer to the signed links; returns its websocket endpoints
    by path below its base path."""
    if provider.finalize is not None:
        services.engine.register(provider.name, provider.finalize(services))
    if provider.render_file is not None:
        services.files.register(provider.name, provider.render_file(services))
    return provider.websockets(services) if provider.websockets is not None else {}


def hints(name: str, spec: dict, directory: Directory) -> Hints:
    """What a provider's 404s and 401s add to its messages: the base URL and paths that
    exist, and where the key goes."""
    places = key_places(spec)
    return Hints(
        not_found=lambda request: directory.not_in_spec(
            name, origin_of(request), request.url.path),
        missing_key=lambda request, error: auth.explain_missing_key(
            places, request.headers, error))


def rate_limit(provider: Provider, services: Services) -> tuple[int, float] | None:
    """A provider's rate limit, (requests, window seconds) per key: the config's, else the
    documented default; None for no limit."""
    configured = services.settings.provider_config(provider.name).get("rate_limit")
    if configured is not None:
        return int(configured["requests"]), float(configured.get("window_seconds", 60))
    return provider.rate_limit


def with_rate_limit(app: ASGIApp, provider: Provider, spec: dict,
                    services: Services, base: str = "") -> ASGIApp:
    """Wrap a provider app in its rate limit (documented default or config), if any."""
    limit = rate_limit(provider, services)
    if limit is None:
        return app
    return RateLimitMiddleware(
        app, provider=provider.name, limiter=services.rate_limits, requests=limit[0],
        window=limit[1], read_key=key_reader(spec, base), errors=provider.errors,
        headers=provider.rate_limit_headers)


def create_app(settings: Settings, services: Services | None = None, *,
               direct_lane: bool = True) -> ASGIApp:
    """The whole server as one ASGI app. ``direct_lane=False`` sends every operation
    through connexion's own layers (a test compares the two)."""
    access = AdminAccess.for_settings(settings)  # a bad token is refused before state opens
    # bad cassettes too
    library = Library(cassettes.load(settings.replay)) if settings.replay is not None else None
    services = services or Services.create(settings)
    providers = selected_providers(settings)
    at_root = len(providers) == 1 and len(settings.providers) == 1
    specs = {provider.name: load_spec(provider.spec) for provider in providers}
    directory = Directory([mount(p, specs[p.name], at_root) for p in providers])
    mounts = [(served.name, served.base) for served in directory.mounts]
    check_served(services.faults.configured, [name for name, _ in mounts])
    routes: list[tuple[str, ASGIApp]] = []
    sockets: list[WebSocketRoute] = []
    for provider, served in zip(providers, directory.mounts):
        routes.append((served.base, provider_app(provider, specs[provider.name], services,
                                                 served, directory, direct_lane)))
        sockets += [WebSocketRoute(served.base + path, endpoint)
                    for path, endpoint in plug_in(provider, services).items()]
    limits = settings.input_limits()

    def own(app: ASGIApp) -> ASGIApp:
        # the mock's own endpoints: the admin policy (signed file paths pass it) and the limits
        return AdminGuard(InputGuard(app, limits, PLAIN_ERRORS), access)

    admin, downloads = own(admin_app(services, directory)), own(downloads_app(services, directory))
    fallback = routes[0][1] if at_root else admin
    # a websocket handshake over the limits is closed (403): no error body is sent there
    sockets_app = InputGuard(Router(routes=sockets), limits, PLAIN_ERRORS)
    dispatcher = PrefixDispatcher([("/_mock", admin), (DOWNLOADS, downloads), *routes], fallback,
                                  services.run_background, sockets_app,
                                  on_stop=lambda: services.store.flush(everywhere=False))
    sensitive = {h for p in providers for h in p.sensitive_headers}

    def locate(method: str, path: str) -> Location:
        for served in directory.mounts:
            base = served.base
            if at_root or path == base or path.startswith(base + "/"):
                found = served.index.find(method, path)
                return Location(served.name, path[len(base):] or "/",
                                found[0] if found else None)
        return nowhere(path)

    served_app: ASGIApp = dispatcher
    if library is not None:
        served_app = Replayer(dispatcher, library, locate,
                              services.clock.now, strict=settings.replay_strict,
                              errors={p.name: p.errors for p in providers}, files=services.files,
                              body_limit=max(settings.input_limits(p.name).body_bytes
                                             for p in providers))
    # outermost: the fault layer reaches the connection through it (the journal wraps send)
    app = ConnectionAccess(JournalMiddleware(served_app, services.store, services.clock, locate,
                                             sensitive))
    app.services = services  # type: ignore[attr-defined]  # tests and the CLI reach state here
    app.mounts = mounts  # type: ignore[attr-defined]
    app.locate = locate  # type: ignore[attr-defined]  # where a path lands (a Recorder asks)
    app.admin_token = access.token  # type: ignore[attr-defined]  # the CLI prints a generated one
    return app
