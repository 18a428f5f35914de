"""What the suite needs to know about each provider: spec, key header, paid operations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import urlparse

from mockserver.specs import load_spec

CONFIG_DIR = Path(__file__).parent / "schemathesis"


@dataclass(frozen=True)
class ProviderInfo:
    """One provider as the contract suite sees it."""

    name: str
    auth: Callable[[str], dict[str, str]]
    paid: tuple[tuple[str, str], ...]
    """(METHOD, path) of the operations that start paid work."""
    webhook_secret: str | None = None
    """The bundled mock's default signing secret (real providers: pass --webhook-secret)."""

    @cached_property
    def spec(self) -> dict:
        """The bundled spec as an OpenAPI 3.0 dict (read once; treat it as read-only)."""
        return load_spec(self.name)

    @property
    def server_path(self) -> str:
        """The path part of the spec's server URL ("" for a bare host)."""
        servers = self.spec.get("servers") or [{"url": "/"}]
        return urlparse(servers[0]["url"]).path.rstrip("/")

    @property
    def schemathesis_config(self) -> Path:
        """Per-provider schemathesis settings (documented per-operation exceptions)."""
        return CONFIG_DIR / f"{self.name}.toml"

    def auth_header(self, key: str) -> str:
        """The key as one ``Name: value`` header line."""
        ((name, value),) = self.auth(key).items()
        return f"{name}: {value}"


PROVIDERS: dict[str, ProviderInfo] = {
    "muzaic": ProviderInfo(
        "muzaic", lambda k: {"MuzaicAPI-Secret-Key": k},
        (("POST", "/soundtrack"), ("POST", "/soundtrack/{origin}"), ("POST", "/singleFile"),
         ("POST", "/audioFromHash"))),
    "musicgpt": ProviderInfo(
        "musicgpt", lambda k: {"Authorization": k}, (("POST", "/v1/sound_generator"),)),
    "soundpiece": ProviderInfo(
        "soundpiece", lambda k: {"Authorization": f"Bearer {k}"},
        tuple(("PUT", f"/v1/create.{r}") for r in (
            "remix_song", "remix_instrumental", "new_song", "new_instrumental", "new_sample",
            "new_fx")),
        webhook_secret="whsec_c291bmRwaWVjZS1tb2NrLXdlYmhvb2stc2VjcmV0LXYx"),
    "musicgen": ProviderInfo(
        "musicgen", lambda k: {"Authorization": f"Bearer {k}"},
        (("POST", "/generate"), ("POST", "/generate/batch"), ("POST", "/multi-instrument"))),
}
