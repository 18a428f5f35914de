"""Soundpiece's domain rules: the six operations, their echoed requests and DTOs, output
lengths, credits, webhook secrets, and how each output variation's audio is made.

Pure planning and numpy: HTTP shapes live in ``handlers``; tasks, files, signing and
accounts are the shared machinery's.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import numpy as np

from mockserver.audio import (
    SAMPLE_RATE,
    Curve,
    Fitted,
    MusicFeatures,
    MusicSource,
    Samples,
    Source,
    features_from_prompt,
    plan,
)
from mockserver.audio.analysis import onset_rate, rms, spectral_centroid
from mockserver.audio.effects import lowpass
from mockserver.core.files import PREFIX as FILES_PREFIX

PROVIDER = "soundpiece"
SONG_SECONDS = 30.0
"""Length of songs, instrumentals and remixes (the docs give none; their example is 87 s)."""
DEFAULT_URL_TTL = 900.0
"""Output URLs stay valid for 15 minutes of mock time (the docs' webhook example)."""
DEFAULT_LONG_POLL = 20.0
"""``wait=true`` waits up to 20 s (docs)."""
DEFAULT_WEBHOOK_SECRET = "whsec_c291bmRwaWVjZS1tb2NrLXdlYmhvb2stc2VjcmV0LXYx"
"""The signing secret of every account unless the config says otherwise (README)."""
FAILURE = {"code": "generation_failed",
           "message": "Generation failed; submit again with a new idempotency_key."}

# Per variation: how the music differs (tempo and key shift) and, for remixes, how the
# source is coloured (low-pass corner in Hz, gain).
TEMPO_SHIFT = (0.0, 0.8, -0.8)
ROOT_SHIFT = (0, 2, -3)
REMIX_CUTOFF_HZ = (9000.0, 3500.0, 1500.0)
REMIX_GAIN = (1.0, 0.9, 1.1)
REMIX_SOURCE_LEVEL = 0.75
REMIX_NEW_LEVEL = 0.35
REMIX_PEAK = 0.95
FX_DECAY_SECONDS = 0.6


@dataclass(frozen=True)
class Operation:
    """One route: PUT submits, GET polls; the DTO sits under ``key``."""

    route: str
    key: str
    kind: str
    """remix, song, instrumental, sample or fx: how the audio is made."""
    echo: tuple[str, ...]
    """Request fields the DTO echoes, in DTO order."""
    defaults: Mapping[str, Any]

    def request(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The canonical request: echoed fields with defaults, key and callback URL."""
        echoed = {name: body.get(name, self.defaults.get(name)) for name in self.echo}
        return {"idempotency_key": body["idempotency_key"], **echoed,
                "callback_url": body.get("callback_url")}

    def variations(self, request: Mapping[str, Any]) -> int:
        """How many outputs the operation makes."""
        return int(request.get("n_variations") or 1)

    def seconds(self, request: Mapping[str, Any]) -> float:
        """The requested output length in seconds."""
        if self.kind in ("sample", "fx"):
            return float(request["duration"])
        return SONG_SECONDS

    def failure_text(self, request: Mapping[str, Any]) -> str:
        """The text failure rules and the ``[mock:fail]`` marker are matched against."""
        parts = [request.get("prompt"), request.get("lyrics"),
                 (request.get("source") or {}).get("url"),
                 (request.get("reference") or {}).get("url")]
        return "\n".join(p for p in parts if isinstance(p, str))

    def style_text(self, request: Mapping[str, Any]) -> str:
        """The text the music's features derive from (reference/source URL, then prompt)."""
        parts = [(request.get("source") or {}).get("url"),
                 (request.get("reference") or {}).get("url"), request.get("prompt")]
        text = " ".join(p for p in parts if isinstance(p, str))
        return text or str(request.get("lyrics") or "")

    def dto(self, op_id: str, status: str, created_at: str, request: Mapping[str, Any],
            outputs: list[dict[str, Any]] | None, error: dict[str, Any] | None
            ) -> dict[str, Any]:
        """The operation as GET returns it (unwrapped)."""
        return {"id": op_id, "status": status, "created_at": created_at,
                "idempotency_key": request["idempotency_key"],
                **{name: request.get(name) for name in self.echo},
                "outputs": outputs, "error": error}


_N = {"n_variations": 1}
OPERATIONS: dict[str, Operation] = {op.route: op for op in (
    Operation("create.remix_song", "remix_song", "remix",
              ("source", "lyrics", "prompt", "n_variations"), _N),
    Operation("create.remix_instrumental", "remix_instrumental", "remix",
              ("source", "n_variations"), _N),
    Operation("create.new_song", "song", "song",
              ("lyrics", "prompt", "reference", "n_variations"), _N),
    Operation("create.new_instrumental", "instrumental", "instrumental",
              ("prompt", "reference", "n_variations"), _N),
    Operation("create.new_sample", "sample", "sample", ("prompt", "duration", "n_variations"), _N),
    Operation("create.new_fx", "fx", "fx", ("prompt", "duration"), {"duration": 2}),
)}


def output_samples(seconds: float) -> int:
    """Samples in an output of ``seconds`` (at least one)."""
    return max(1, round(seconds * SAMPLE_RATE))


def credits_for(samples: int, variations: int) -> int:
    """One credit per started second of output audio, over every variation."""
    return max(1, math.ceil(samples * variations / SAMPLE_RATE - 1e-9))


def job_seconds(samples: int) -> float:
    """Realistic processing time: 2 s plus 0.1 s per second of output."""
    return 2.0 + 0.1 * samples / SAMPLE_RATE


def local_file(url: str, origin: str) -> str | None:
    """The ``/_mock/files/...`` path when ``url`` names a file of this server (``origin``)."""
    parsed, here = urlparse(url), urlparse(origin)
    if not parsed.path.startswith(FILES_PREFIX):
        return None
    if not parsed.netloc:
        return parsed.path
    loopback = {"localhost", "127.0.0.1", "::1"}
    same_host = parsed.hostname == here.hostname or (
        parsed.hostname in loopback and here.hostname in loopback)
    try:
        same_port = (parsed.port or 80) == (here.port or 80)
    except ValueError:
        return None
    return parsed.path if same_host and same_port and parsed.scheme == here.scheme else None


def output_name(op_id: str, index: int) -> str:
    """The file name of one output variation."""
    return f"{op_id}-{index}.flac"


def parse_output_name(name: str) -> tuple[str, int] | None:
    """(operation id, variation) of an output file name, or None."""
    stem, dot, ext = name.rpartition(".")
    op_id, dash, index = stem.rpartition("-")
    if not (dot and dash and ext == "flac" and index.isdigit()):
        return None
    return op_id, int(index)


def webhook_secret(config: Mapping[str, Any], owner: str,
                   digest: Callable[[str], str]) -> str | None:
    """The account's signing secret: ``webhook_secrets[key]``, else ``webhook_secret``
    (the built-in default unless the config sets it, to null for no callbacks). ``owner`` is
    a task's stored key digest; ``digest`` makes one of a configured key."""
    per_key = config.get("webhook_secrets") or {}
    for key, secret in per_key.items():
        if digest(str(key)) == owner:
            return secret
    return config.get("webhook_secret", DEFAULT_WEBHOOK_SECRET)


def check_secrets(config: Mapping[str, Any]) -> None:
    """Refuse, at startup, a configured secret that is not ``whsec_<base64>``."""
    per_key = config.get("webhook_secrets") or {}
    if not isinstance(per_key, Mapping):
        raise ValueError("config: providers.soundpiece.webhook_secrets must map API keys to secrets")
    for name, secret in [("webhook_secret", config.get("webhook_secret")),
                         *((f"webhook_secrets[{k!r}]", v) for k, v in per_key.items())]:
        if secret is None:
            continue
        try:
            ok = str(secret).startswith("whsec_") and bool(
                base64.b64decode(str(secret)[6:], validate=True))
        except (binascii.Error, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"config: providers.soundpiece.{name} must be whsec_<base64>")


# --- audio ---------------------------------------------------------------------------

def variation_seed(seed: int, op_id: str, index: int) -> int:
    """The synth seed of one variation."""
    digest = hashlib.sha256(f"{seed}:{PROVIDER}:{op_id}:{index}".encode()).digest()
    return int.from_bytes(digest[:6])


def variation_features(features: MusicFeatures, index: int) -> MusicFeatures:
    """The features of variation ``index``: another tempo and key than the first."""
    i = index % len(TEMPO_SHIFT)
    return dataclasses.replace(features, tempo=min(10.0, max(1.0, features.tempo + TEMPO_SHIFT[i])),
                               root=features.root + ROOT_SHIFT[i])


def style_of(audio: np.ndarray, base: MusicFeatures) -> MusicFeatures:
    """``base`` with tempo, intensity and tone measured from ``audio`` (44.1 kHz)."""
    head = audio[: 30 * SAMPLE_RATE]
    bpm = min(180.0, max(60.0, onset_rate(head, SAMPLE_RATE) * 30.0))
    centroid = max(spectral_centroid(head, SAMPLE_RATE), 1.0)
    tone = 1.0 + 9.0 * math.log(max(centroid, 300.0) / 300.0) / math.log(20.0)
    intensity = 1.0 + 9.0 * (rms(head) - 0.02) / 0.25
    return dataclasses.replace(
        base, tempo=1.0 + (bpm - 60.0) * 9.0 / 120.0,
        intensity=Curve.constant(min(10.0, max(1.0, intensity))),
        tone=Curve.constant(min(10.0, max(1.0, tone))))


def to_rate(audio: np.ndarray, rate: int) -> np.ndarray:
    """Stereo float32 at 44.1 kHz (linear interpolation when ``rate`` differs)."""
    x = np.asarray(audio, dtype=np.float32)
    x = x[:, :2] if x.shape[1] >= 2 else np.repeat(x, 2, axis=1)
    if rate == SAMPLE_RATE or len(x) < 2:
        return x
    n = max(1, round(len(x) * SAMPLE_RATE / rate))
    at = np.linspace(0, len(x) - 1, n)
    return np.stack([np.interp(at, np.arange(len(x)), x[:, c]) for c in (0, 1)],
                    axis=1).astype(np.float32)


def remix(audio: np.ndarray, features: MusicFeatures, samples: int, seed: int,
          index: int) -> np.ndarray:
    """A remix of ``audio`` (44.1 kHz stereo): the source fitted to the output length and
    coloured per variation, mixed with new music in the source's measured style."""
    i = index % len(REMIX_CUTOFF_HZ)
    base = Fitted(Samples(audio), samples).render(0, samples)
    # a gentle first-order low-pass over the whole source as one period
    coloured = lowpass(base, SAMPLE_RATE, REMIX_CUTOFF_HZ[i], order=1, wrap=True) \
        * np.float32(REMIX_GAIN[i])
    style = variation_features(style_of(audio, features), index)
    new = MusicSource(plan(style, samples / SAMPLE_RATE, seed, SAMPLE_RATE)).render(0, samples)
    mix = REMIX_SOURCE_LEVEL * coloured + REMIX_NEW_LEVEL * new
    peak = float(np.max(np.abs(mix), initial=0.0))
    return mix * np.float32(REMIX_PEAK / peak) if peak > REMIX_PEAK else mix


def one_shot(source: Source) -> Samples:
    """An effect: the sound with an exponential decay, so it ends like a one-shot."""
    n = source.num_samples
    envelope = np.exp(-np.arange(n, dtype=np.float32) / np.float32(FX_DECAY_SECONDS * SAMPLE_RATE))
    return Samples(source.render(0, n) * envelope[:, None])


def output_source(kind: str, recipe: Mapping[str, Any], seed: int, index: int,
                  source_audio: np.ndarray | None) -> Source:
    """The audio of one output variation. ``source_audio``: the remix source at 44.1 kHz
    when it is audio this server serves, else None (the URL's text stands in for it)."""
    samples = int(recipe["samples"])
    features = features_from_prompt(recipe["style"])
    if kind == "remix" and source_audio is not None and len(source_audio):
        return Samples(remix(source_audio, features, samples, seed, index))
    piece = plan(variation_features(features, index), samples / SAMPLE_RATE, seed, SAMPLE_RATE,
                 fit_bars=kind == "sample")
    return one_shot(MusicSource(piece)) if kind == "fx" else MusicSource(piece)
