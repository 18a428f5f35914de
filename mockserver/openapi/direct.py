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
Operations with a request body keep connexion's own path.
"""

from __future__ import annotations

import inspect
from typing import Any

from connexion.context import _context, _operation, _receive, _scope
from connexion.decorators.parameter import prep_kwargs as connexion_kwargs
from connexion.decorators.parameter import pythonic, sanitized
from connexion.decorators.response import AsyncResponseDecorator
from connexion.frameworks.starlette import Starlette as StarletteFramework
from connexion.jsonifier import Jsonifier
from connexion.lifecycle import ConnexionRequest
from connexion.middleware.abstract import RoutedAPI, RoutedMiddleware
from connexion.middleware.main import ConnexionMiddleware
from connexion.middleware.routing import RoutingMiddleware
from connexion.middleware.security import SecurityOperation
from connexion.operations import AbstractOperation
from connexion.security import SecurityHandlerFactory
from connexion.utils import inspect_function_arguments
from connexion.validators import VALIDATOR_MAP
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

CONTEXT_KEY = "connexion_context"
"""Where connexion's security layer leaves ``user`` and ``token_info`` in the scope."""


def is_direct(operation: AbstractOperation) -> bool:
    """Whether the direct lane serves ``operation``: it has no request body."""
    return not operation.body_definition()


class DirectOperation:
    """One bodiless operation: connexion's steps for it, each built once."""

    def __init__(self, operation: AbstractOperation, *, security: SecurityHandlerFactory,
                 validator_map: dict[str, Any], strict_validation: bool,
                 pythonic_params: bool, jsonifier: Jsonifier, next_app: ASGIApp) -> None:
        self.operation = operation
        self.uri_parser = operation.uri_parser_class(operation.parameters,
                                                     operation.body_definition())
        checked = SecurityOperation.from_operation(operation, next_app=next_app,
                                                   security_handler_factory=security)
        self.verify = checked.verification_fn if operation.security else None
        self.parameters = validator_map["parameter"](
            operation.parameters, uri_parser=self.uri_parser,
            strict_validation=strict_validation,
            security_query_params=security_query_params(operation))
        self.handler = operation.function
        self.awaitable = inspect.iscoroutinefunction(self.handler)
        self.arguments, self.has_kwargs = inspect_function_arguments(self.handler)
        self.sanitize = pythonic if pythonic_params else sanitized
        self.responses = AsyncResponseDecorator(framework=StarletteFramework,
                                                jsonifier=jsonifier)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = ConnexionRequest(scope, receive, uri_parser=self.uri_parser)
        if self.verify is not None:
            await self.verify(request)
        self.parameters.validate_request(request)
        _context.set(scope.get("extensions", {}).get(CONTEXT_KEY, {}))
        _operation.set(self.operation)
        _receive.set(receive)
        _scope.set(scope)
        kwargs = connexion_kwargs(request, request_body=None, files={},
                                  arguments=self.arguments, has_kwargs=self.has_kwargs,
                                  sanitize=self.sanitize)
        if self.awaitable:
            result = await self.handler(**kwargs)
        else:
            result = await run_in_threadpool(self.handler, **kwargs)
        if not StarletteFramework.is_framework_response(result):
            result = self.responses.build_framework_response(result)
        await result(scope, receive, send)


class Passthrough:
    """An operation the direct lane leaves to connexion's layers."""

    def __init__(self, next_app: ASGIApp) -> None:
        self.next_app = next_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.next_app(scope, receive, send)


def security_query_params(operation: AbstractOperation) -> list[str]:
    """The query parameters that carry keys (strict validation lets them through)."""
    return [scheme["name"] for requirement in operation.security or []
            for name in requirement
            for scheme in [operation.security_schemes[name]]
            if scheme["type"] == "apiKey" and scheme["in"] == "query"]


class DirectAPI(RoutedAPI[DirectOperation | Passthrough]):
    """One spec's operations: direct where bodiless, connexion's layers otherwise."""

    def __init__(self, *args: Any, security_map: dict[str, type] | None = None,
                 validator_map: dict[str, Any] | None = None, strict_validation: bool = False,
                 pythonic_params: bool = False, jsonifier: Jsonifier | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.security = SecurityHandlerFactory(security_map)
        self.validator_map = {**VALIDATOR_MAP, **(validator_map or {})}
        self.strict_validation = strict_validation
        self.pythonic_params = pythonic_params
        self.jsonifier = jsonifier or Jsonifier()
        self.add_paths()

    def make_operation(self, operation: AbstractOperation) -> DirectOperation | Passthrough:
        """The direct operation for a bodiless ``operation``, else a pass to connexion."""
        if not is_direct(operation):
            return Passthrough(self.next_app)
        return DirectOperation(operation, security=self.security,
                               validator_map=self.validator_map,
                               strict_validation=self.strict_validation,
                               pythonic_params=self.pythonic_params, jsonifier=self.jsonifier,
                               next_app=self.next_app)


class DirectMiddleware(RoutedMiddleware[DirectAPI]):
    """connexion middleware (placed right after its routing) that serves bodiless
    operations directly; see the module's docstring."""

    api_cls = DirectAPI


def middlewares(direct_lane: bool = True) -> list[type]:
    """connexion's default middleware list, with the direct lane right after its routing."""
    stack = list(ConnexionMiddleware.default_middlewares)
    if direct_lane:
        stack.insert(stack.index(RoutingMiddleware) + 1, DirectMiddleware)
    return stack
