"""Bind spec operations to handler functions by (method, path), never by operationId.

Provider specs carry no operationId (the providers' documents have none, and adding them
would edit the contract); each provider instead exports a table keyed by the HTTP method
and the path template exactly as written in its spec.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from connexion.resolver import Resolution, Resolver

from mockserver.openapi.spec_index import HTTP_METHODS

Route = tuple[str, str]  # (METHOD, "/path/{template}")

F = TypeVar("F", bound=Callable[..., Any])

ON_LOOP = "_mockserver_on_loop"


def on_loop(handler: F) -> F:
    """Mark a handler that does no blocking work (no render, no wait; at most a quick read of
    the store): connexion calls it on the event loop instead of in its thread pool, which
    saves a thread hop (two queue handoffs and a wake-up) per request."""
    setattr(handler, ON_LOOP, True)
    return handler


def bind(handler: Callable[..., Any]) -> Callable[..., Any]:
    """``handler`` as connexion should call it: a coroutine function when it is one or is
    marked ``on_loop``, and with its signature worked out once. connexion decorates the handler
    again on every request and reads its signature each time; a ``__signature__`` makes
    that a lookup (there is deliberately no ``__wrapped__``, which connexion would follow
    back to the bare handler)."""
    async def awaited(*args: Any, **kwargs: Any) -> Any:
        return await handler(*args, **kwargs)

    async def on_the_loop(*args: Any, **kwargs: Any) -> Any:
        return handler(*args, **kwargs)

    def in_a_thread(*args: Any, **kwargs: Any) -> Any:
        return handler(*args, **kwargs)

    called: Callable[..., Any] = (
        awaited if inspect.iscoroutinefunction(handler)
        else on_the_loop if getattr(handler, ON_LOOP, False) else in_a_thread)
    called.__signature__ = inspect.signature(handler)  # type: ignore[attr-defined]
    called.__name__ = getattr(handler, "__name__", called.__name__)
    called.__qualname__ = getattr(handler, "__qualname__", called.__qualname__)
    called.__doc__ = handler.__doc__
    return called


class RouteTableResolver(Resolver):
    """A connexion resolver that looks handlers up in a ``{(METHOD, path): function}`` table."""

    def __init__(self, table: Mapping[Route, Callable[..., object]]) -> None:
        super().__init__()
        self._table = {(method.upper(), path): bind(fn) for (method, path), fn in table.items()}

    def resolve(self, operation: Any) -> Resolution:
        """Find the handler for ``operation``; a spec operation without one is a startup error."""
        route = (operation.method.upper(), operation.path)
        try:
            function = self._table[route]
        except KeyError:
            raise LookupError(f"no handler for {route[0]} {route[1]}") from None
        return Resolution(function, f"{route[0]} {route[1]}")

    def check_matches(self, spec: dict[str, Any]) -> None:
        """Fail at startup unless the table and the spec's operations are the same set."""
        operations = {(m.upper(), path) for path, item in spec.get("paths", {}).items()
                      for m in item if m in HTTP_METHODS}
        missing, extra = operations - set(self._table), set(self._table) - operations
        if missing or extra:
            raise LookupError(f"handler table does not match the spec: no handler for"
                              f" {sorted(missing)}; not in the spec: {sorted(extra)}")
