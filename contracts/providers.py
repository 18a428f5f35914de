"""What the suite needs to know about each provider: spec, key header, paid operations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import urlparse

from mockserver.openapi.specs import load_spec

from .budget import cost_of
from .pacing import Rate

CONFIG_DIR = Path(__file__).parent / "schemathesis"


@dataclass(frozen=True)
class ProviderInfo:
    """One provider as the contract suite sees it."""

    name: str
    auth: Callable[[str], dict[str, str]]
    paid: tuple[tuple[str, str], ...]
    """(METHOD, path) of the operations that start paid work."""
    probe: tuple[str, str]
    """A free call whose documented answer is never 404: a 404 means a wrong base URL."""
    most_audio: dict[tuple[str, str], int] = field(default_factory=dict)
    """Paid operations one call of which may ask for several capped lengths of audio (batch
    items, variations, stems, a region starting late): how many at most (default 1)."""
    """A free call whose documented answer is never 404: a 404 means a wrong base URL."""
    rate: Rate | None = None
    """The documented request limit per key (None: none documented)."""
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
    def spec_server_url(self) -> str:
        """The provider's documented server URL (its base URL in production)."""
        return (self.spec.get("servers") or [{"url": "/"}])[0]["url"]

    @property
    def schemathesis_config(self) -> Path:
        """Per-provider schemathesis settings (documented per-operation exceptions)."""
        return CONFIG_DIR / f"{self.name}.toml"

    def fuzzed_call_cost(self, method: str, path: str, cap: float) -> float:
        """The most one fuzzed call of a paid operation may cost, every length capped."""
        return cost_of(cap) * self.most_audio.get((method, path), 1)

    def auth_header(self, key: str) -> str:
        """The key as one ``Name: value`` header line."""
        ((name, value),) = self.auth(key).items()
        return f"{name}: {value}"


PROVIDERS: dict[str, ProviderInfo] = {
    "muzaic": ProviderInfo(
        "muzaic", lambda k: {"MuzaicAPI-Secret-Key": k},
        (("POST", "/soundtrack"), ("POST", "/soundtrack/{origin}"), ("POST", "/singleFile"),
         ("POST", "/audioFromHash")),
        probe=("GET", "/getTags"),
        # a region's time and duration are each capped: it may end at twice the cap
        most_audio={("POST", "/soundtrack"): 2, ("POST", "/soundtrack/{origin}"): 2}),
    "musicgpt": ProviderInfo(
        "musicgpt", lambda k: {"Authorization": k}, (("POST", "/v1/sound_generator"),),
        probe=("GET", "/v1/byId?conversionType=SOUND_GENERATOR")),  # no id: a documented 400
    "soundpiece": ProviderInfo(
        "soundpiece", lambda k: {"Authorization": f"Bearer {k}"},
        tuple(("PUT", f"/v1/create.{r}") for r in (
            "remix_song", "remix_instrumental", "new_song", "new_instrumental", "new_sample",
            "new_fx")),
        probe=("GET", "/v1/create.new_sample"),  # no id: a documented 422
        most_audio={("PUT", f"/v1/create.{r}"): 3 for r in (  # n_variations: at most 3
            "remix_song", "remix_instrumental", "new_song", "new_instrumental", "new_sample",
            "new_fx")},
        webhook_secret="whsec_c291bmRwaWVjZS1tb2NrLXdlYmhvb2stc2VjcmV0LXYx"),
    "musicgen": ProviderInfo(
        "musicgen", lambda k: {"Authorization": f"Bearer {k}"},
        (("POST", "/generate"), ("POST", "/generate/batch"), ("POST", "/multi-instrument")),
        probe=("GET", "/models"),
        # a batch has at most 10 items; a mix at most 8 instruments
        most_audio={("POST", "/generate/batch"): 10, ("POST", "/multi-instrument"): 8},
        rate=Rate(100, 60.0)),  # seed: "100 requests per minute per API key"
}
