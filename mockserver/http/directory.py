"""What is served where: each provider's base path and spec paths, so that a 404 names the fix.

A path under no provider gets the served base URLs (and the URL it probably meant); a path
under a provider's base that is not in its spec gets that base URL and its paths, in the
provider's own error format.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mockserver.openapi.spec_index import SpecIndex


@dataclass(frozen=True)
class Mount:
    """One served provider: its name, base path (``""`` at the root) and spec index."""

    name: str
    base: str
    index: SpecIndex


@dataclass(frozen=True)
class Guess:
    """A served URL path that a request path probably meant, with the methods it allows."""

    path: str
    methods: tuple[str, ...]

    def describe(self, origin: str) -> str:
        """``did you mean http://.../v1/byId (GET)?``"""
        return f"did you mean {origin}{self.path} ({', '.join(self.methods)})?"


class Directory:
    """The served providers, in the registry's order."""

    def __init__(self, mounts: Sequence[Mount]) -> None:
        self.mounts = list(mounts)

    def base_urls(self, origin: str) -> dict[str, str]:
        """``{"muzaic": "http://127.0.0.1:8080/muzaic", ...}``."""
        return {m.name: origin + m.base for m in self.mounts}

    def guess(self, path: str) -> Guess | None:
        """The spec path (below its base) that ``path`` probably meant: the longest tail of
        ``path`` that some served spec has, preferring a provider named in ``path``."""
        segments = [s for s in path.split("/") if s]
        for start in range(len(segments)):
            tail = "/" + "/".join(segments[start:])
            found = [m for m in self.mounts if m.index.allowed_methods(m.base + tail)]
            found.sort(key=lambda m: m.name not in segments[:start])
            for mount in found:
                if mount.base + tail != path:
                    methods = tuple(mount.index.allowed_methods(mount.base + tail))
                    return Guess(mount.base + tail, methods)
        return None

    def not_served(self, origin: str, path: str) -> dict[str, Any]:
        """The body of the 404 for a path under no served provider."""
        guess = self.guess(path)
        first = self.mounts[0]
        example = origin + first.base + next(
            (p for p in first.index.templates if "{" not in p), "/")
        rule = (f"Every path goes below its provider's base URL (e.g. {example});"
                " GET /_mock/health lists the base paths.")
        return {"error": f"no provider is served at {path}", "served": self.base_urls(origin),
                "hint": f"{guess.describe(origin)} {rule}" if guess else rule}

    def not_in_spec(self, name: str, origin: str, path: str) -> str:
        """What to add to a provider's 404 message for a path below its base but not in its
        spec: its base URL, its paths, and the URL the path probably meant."""
        mount = next(m for m in self.mounts if m.name == name)
        text = (f"the base URL here is {origin}{mount.base} and its paths are"
                f" {', '.join(mount.index.templates)}")
        guess = self.guess(path)
        return f"{text}; {guess.describe(origin)}" if guess else text
