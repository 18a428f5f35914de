"""Bind spec operations to handler functions by (method, path), never by operationId.

Provider specs carry no operationId (the providers' documents have none, and adding them
would edit the contract); each provider instead exports a table keyed by the HTTP method
and the path template exactly as written in its spec.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from connexion.resolver import Resolution, Resolver

from mockserver.openapi.spec_index import HTTP_METHODS

Route = tuple[str, str]  # (METHOD, "/path/{template}")


class RouteTableResolver(Resolver):
    """A connexion resolver that looks handlers up in a ``{(METHOD, path): function}`` table."""

    def __init__(self, table: Mapping[Route, Callable[..., object]]) -> None:
        super().__init__()
        self._table = {(method.upper(), path): fn for (method, path), fn in table.items()}

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
