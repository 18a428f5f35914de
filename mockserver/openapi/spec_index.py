"""Find the spec operation a request path belongs to, outside connexion's routing.

Used where connexion does not tell us the operation: error handlers (which statuses does the
operation document, which methods does its path allow) and the rate-limit middleware (does
the operation need a key at all).
"""

from __future__ import annotations

import re
from typing import Any

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


class SpecIndex:
    """The spec's paths as patterns below ``base_path``, each with its operations."""

    def __init__(self, spec: dict[str, Any], base_path: str = "") -> None:
        self._default_security = spec.get("security")
        self.templates: list[str] = sorted(spec.get("paths") or {})
        """The spec's path templates (below the base path), sorted."""
        self._paths: list[tuple[re.Pattern[str], dict[str, dict[str, Any]]]] = []
        for path, item in (spec.get("paths") or {}).items():
            operations = {m.upper(): item[m] for m in HTTP_METHODS
                          if isinstance(item.get(m), dict)}
            pattern = re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(base_path + path))
            self._paths.append((re.compile(f"^{pattern}$"), operations))
        # A literal segment beats a template: "/generate/batch" before "/generate/{task_id}".
        self._paths.sort(key=lambda entry: entry[0].pattern.count("[^/]+"))

    def _operations(self, path: str) -> dict[str, dict[str, Any]]:
        for pattern, operations in self._paths:
            if pattern.match(path):
                return operations
        return {}

    def operation(self, method: str, path: str) -> dict[str, Any] | None:
        """The operation object for (method, request path), preferring literal paths."""
        for pattern, operations in self._paths:
            if method.upper() in operations and pattern.match(path):
                return operations[method.upper()]
        return None

    def allowed_methods(self, path: str) -> list[str]:
        """Methods the spec defines for the path that matches ``path``."""
        return list(self._operations(path))

    def documents(self, method: str, path: str, status: int) -> bool:
        """Whether the operation at (method, request path) lists ``status``."""
        operation = self._operations(path).get(method.upper()) or {}
        return str(status) in (operation.get("responses") or {})

    def is_open(self, method: str, path: str) -> bool:
        """Whether the operation needs no key (``security: []``, or none anywhere)."""
        operation = self.operation(method, path)
        return operation is not None and not operation.get("security", self._default_security)
