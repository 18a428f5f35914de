"""The direct lane: connexion's per-operation steps built once, called in one function.

For an operation without a request body, connexion runs a request through five routed
layers (security, request validation, response validation, lifespan, context) and then
decorates the handler afresh: a new URI parser, a new parameter validator, a new parameter
decorator and a new response decorator on every request. That machinery, not the handler,
held most of a poll's time. This middleware sits right after connexion's routing and
serves such an operation with the same steps, each built once per operation and in
connexion's order:

1. the security check (connexion's verification function from the ``security_map``),
2. parameter validation (the ``validator_map``'s parameter validator),
3. the context a handler reads (``connexion.request``, ``connexion.context``),
4. the handler's keyword arguments (connexion's ``prep_kwargs``),
5. the handler, on the event loop or in a thread as ``openapi.routing.bind`` made it,
6. the response (connexion's response builder with the app's JSON codec).

Every error they raise is the one connexion's layers raise, and leaves through the same
exception handlers (connexion's ``ExceptionMiddleware`` is outside this middleware).
Operations with a request body keep connexion's own layers.

Two memos, both of pure functions, save the rest of a repeated request's work: connexion's
routing decision by (method, root path, path), so a path routed before skips the Swagger UI
and routing routers (``RememberedRoutes``, for every operation); and a bodiless operation's
validated arguments by (query string, path parameters), without the key.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connexion.context import _context, _operation, _receive, _scope
from connexion.decorators.parameter import prep_kwargs as connexion_kwargs
from connexion.decorators.parameter import pythonic, sanitized
from connexion.decorators.response import AsyncResponseDecorator
from connexion.frameworks.starlette import Starlette as StarletteFramework
from connexion.jsonifier import Jsonifier
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware.abstract import RoutedAPI, RoutedMiddleware
from connexion.middleware.main import ConnexionMiddleware
from connexion.middleware.request_validation import RequestValidationOperation
from connexion.middleware.routing import RoutingMiddleware
from connexion.middleware.security import SecurityOperation
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.operations import AbstractOperation
from connexion.security import SecurityHandlerFactory
from connexion.utils import inspect_function_arguments
from connexion.validators import VALIDATOR_MAP
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

CONTEXT_KEY = "connexion_context"
"""Where connexion's security layer leaves ``user`` and ``token_info`` in the scope."""
ROUTING_KEY = "connexion_routing"
"""Where connexion's routing notes the operation it chose."""
MEMO_INPUT_LIMIT = 512
"""The longest path (or query string and path parameters) a memo keeps: both memos hold at
most a few MB, whatever the requests."""
ARGUMENTS_KEPT = 4096
"""Validated argument sets remembered per operation (one per distinct query string and key)."""
SCALARS = (str, int, float, bool, type(None))
"""Argument values a kept argument set may hold (handed to handlers that run at once)."""
ROUTES_KEPT = 4096
"""Routing decisions remembered (paths with ids in them: one per job polled)."""


def is_direct(operation: AbstractOperation) -> bool:
    """Whether the direct lane serves ``operation``: it declares no request body."""
    return not operation.request_body


class DirectOperation:
    """One bodiless operation: connexion's steps for it, each built once."""

    def __init__(self, operation: AbstractOperation, *, security: SecurityHandlerFactory,
                 validator_map: dict[str, Any], strict_validation: bool,
                 pythonic_params: bool, jsonifier: Jsonifier, next_app: ASGIApp,
                 routes: RouteMemo) -> None:
        self.operation = operation
        self.routes = routes
        self.uri_parser = operation.uri_parser_class(operation.parameters,
                                                     operation.body_definition())
        checked = SecurityOperation.from_operation(operation, next_app=next_app,
                                                   security_handler_factory=security)
        self.verify = checked.verification_fn if operation.security else None
        self.parameters = validator_map["parameter"](
            operation.parameters, uri_parser=self.uri_parser,
            strict_validation=strict_validation,
            # connexion's own list of the query parameters that carry keys
            security_query_params=RequestValidationOperation(
                next_app, operation=operation).security_query_params)
        self.handler = operation.function
        self.awaitable = inspect.iscoroutinefunction(self.handler)
        self.arguments, self.has_kwargs = inspect_function_arguments(self.handler)
        self.sanitize = pythonic if pythonic_params else sanitized
        self.responses = AsyncResponseDecorator(framework=StarletteFramework,
                                                jsonifier=jsonifier)
        # validated arguments by what they derive from: a poll repeats its query string. Not
        # kept when a handler reads more of the context than the key (``user``)
        self.pure = (all(p["in"] in ("query", "path") for p in operation.parameters)
                     and not self.has_kwargs
                     and not {"token_info", "context_"} & set(self.arguments))
        self.kept: dict[tuple[Any, ...], dict[str, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.routes.remember(scope, self)
        request = ConnexionRequest(scope, receive, uri_parser=self.uri_parser)
        if self.verify is not None:
            await self.verify(request)
        context = scope.get("extensions", {}).get(CONTEXT_KEY, {})
        _context.set(context)
        _operation.set(self.operation)
        _receive.set(receive)
        _scope.set(scope)
        seen = self.arguments_seen(scope)
        kept = self.kept.get(seen) if seen is not None else None
        if kept is not None:
            # the context's items last, as connexion's prep_kwargs adds them
            kwargs = {**kept, **{k: v for k, v in context.items() if k in self.arguments}}
        else:
            self.parameters.validate_request(request)
            kwargs = connexion_kwargs(request, request_body=None, files={},
                                      arguments=self.arguments, has_kwargs=self.has_kwargs,
                                      sanitize=self.sanitize)
            if seen is not None and all(isinstance(v, SCALARS) for v in kwargs.values()):
                if len(self.kept) >= ARGUMENTS_KEPT:
                    self.kept.clear()
                # kept without the key: a memo must not hold keys (a 30 kB key each)
                self.kept[seen] = {k: v for k, v in kwargs.items() if k not in context}
        if self.awaitable:
            result = await self.handler(**kwargs)
        else:
            result = await run_in_threadpool(self.handler, **kwargs)
        if isinstance(result, ConnexionResponse):
            result = StarletteFramework.connexion_to_framework_response(result)
        elif not StarletteFramework.is_framework_response(result):
            result = self.responses.build_framework_response(result)
        await result(scope, receive, send)

    def arguments_seen(self, scope: Scope) -> tuple[Any, ...] | None:
        """What parameter validation and the handler's arguments (but the key's) depend on,
        when that is nothing but a short query string and the path parameters (no header or
        cookie parameters); None otherwise."""
        if not self.pure:
            return None
        query: bytes = scope.get("query_string", b"")
        params = tuple(scope.get("path_params", {}).items())
        if len(query) + sum(len(str(value)) for _, value in params) > MEMO_INPUT_LIMIT:
            return None
        return query, params

@dataclass(frozen=True)
class Routed:
    """What connexion's routing did with one request path: the operation it chose, the path
    parameters it read and what it noted in the scope."""

    operation: ASGIApp
    path_params: dict[str, Any]
    routing: dict[str, Any]

    def scope_for(self, scope: Scope) -> Scope:
        """``scope`` as connexion's routing hands it on (a copy, path parameters and the
        operation added)."""
        routed = dict(scope)
        routed.setdefault("path_params", {}).update(self.path_params)
        routed.setdefault("extensions", {}).setdefault(ROUTING_KEY, {}).update(self.routing)
        return routed


class RouteMemo:
    """connexion's routing decisions for the spec's operations, by (method, root path,
    path): all its routers read. Routes are fixed once the app is built, so the
    same three give the same decision, and a repeated request (a poll) skips the Swagger UI
    and routing routers."""

    def __init__(self, kept: int = ROUTES_KEPT) -> None:
        self._kept = kept
        self._routes: dict[tuple[str, str, str], Routed] = {}

    @staticmethod
    def _key(scope: Scope) -> tuple[str, str, str]:
        return scope["method"], scope.get("root_path", ""), scope["path"]

    def remember(self, scope: Scope, operation: ASGIApp) -> None:
        """Note that routing sent ``scope``'s path to ``operation`` (a direct one, or
        connexion's layers after routing); a long path is not kept."""
        key = self._key(scope)
        if key in self._routes or len(key[2]) + len(key[1]) > MEMO_INPUT_LIMIT:
            return
        if len(self._routes) >= self._kept:
            self._routes.clear()
        self._routes[key] = Routed(operation, dict(scope.get("path_params", {})),
                                   dict(scope.get("extensions", {}).get(ROUTING_KEY, {})))

    def recall(self, scope: Scope) -> Routed | None:
        """The decision routing made for this path before, if it sent it to an operation."""
        return self._routes.get(self._key(scope))


class RememberedRoutes:
    """connexion middleware (before its Swagger UI and routing) that sends a path routed
    to an operation before straight there."""

    def __init__(self, app: ASGIApp, *, routes: RouteMemo) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        routed = self.routes.recall(scope) if scope["type"] == "http" else None
        if routed is None:
            await self.app(scope, receive, send)
        else:
            await routed.operation(routed.scope_for(scope), receive, send)


class Passthrough:
    """An operation the direct lane leaves to connexion's layers after routing (its path is
    remembered all the same: a repeated request skips the routers)."""

    def __init__(self, next_app: ASGIApp, routes: RouteMemo) -> None:
        self.next_app = next_app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.routes.remember(scope, self.next_app)
        await self.next_app(scope, receive, send)


class DirectAPI(RoutedAPI[DirectOperation | Passthrough]):
    """One spec's operations: direct where bodiless, connexion's layers otherwise."""

    def __init__(self, *args: Any, security_map: dict[str, type] | None = None,
                 validator_map: dict[str, Any] | None = None, strict_validation: bool = False,
                 pythonic_params: bool = False, jsonifier: Jsonifier | None = None,
                 routes: RouteMemo | None = None, validate_responses: bool = False,
                 auth_all_paths: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # the lane has no response validation and no security for undocumented paths
        self.layers_only = validate_responses or auth_all_paths
        self.routes = routes or RouteMemo()
        self.security = SecurityHandlerFactory(security_map)
        self.validator_map = {**VALIDATOR_MAP, **(validator_map or {})}
        self.strict_validation = strict_validation
        self.pythonic_params = pythonic_params
        self.jsonifier = jsonifier or Jsonifier()
        self.add_paths()

    def make_operation(self, operation: AbstractOperation) -> DirectOperation | Passthrough:
        """The direct operation for a bodiless ``operation``, else a pass to connexion."""
        if not is_direct(operation) or self.layers_only:
            return Passthrough(self.next_app, self.routes)
        return DirectOperation(operation, security=self.security,
                               validator_map=self.validator_map,
                               strict_validation=self.strict_validation,
                               pythonic_params=self.pythonic_params, jsonifier=self.jsonifier,
                               next_app=self.next_app, routes=self.routes)


class DirectMiddleware(RoutedMiddleware[DirectAPI]):
    """connexion middleware (placed right after its routing) that serves bodiless
    operations directly; see the module's docstring."""

    api_cls = DirectAPI

    def __init__(self, app: ASGIApp, *, routes: RouteMemo) -> None:
        super().__init__(app)
        self.routes = routes

    def add_api(self, specification: Any, **kwargs: Any) -> DirectAPI:
        """The spec's operations, served on this middleware's routes."""
        api: DirectAPI = super().add_api(specification, routes=self.routes, **kwargs)
        return api


def middlewares(direct_lane: bool = True) -> list[Callable[..., ASGIApp]]:
    """connexion's default middleware list with the direct lane: served right after its
    routing, and a path it served before sent there ahead of the Swagger UI and routing."""
    stack: list[Callable[..., ASGIApp]] = list(ConnexionMiddleware.default_middlewares)
    if direct_lane:
        routes = RouteMemo()
        stack.insert(stack.index(RoutingMiddleware) + 1,
                     functools.partial(DirectMiddleware, routes=routes))
        stack.insert(stack.index(SwaggerUIMiddleware),
                     functools.partial(RememberedRoutes, routes=routes))
    return stack
