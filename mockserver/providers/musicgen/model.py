"""Music Gen AI's domain rules: generation requests, models, timing, task shapes, error
codes, and rendering a request to audio.

Pure rules plus rendering through the shared audio engine; tasks live in the shared task
store, so this provider has no tables of its own. HTTP lives in ``handlers`` and ``ws``.
The offline Python fake (``mockserver.fakes.music_gen``) imports this module, and only
this one, so ``MusicGenerator`` and the REST API render the same audio for the same
request and seed.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from mockserver.audio import (
    MusicSource,
    Samples,
    Source,
    effects,
    encode_wav,
    features_from_prompt,
    iter_pcm16,
    plan,
)
from mockserver.audio.features import MusicFeatures, stable_hash

if TYPE_CHECKING:
    from mockserver.core.jobs.tasks import Task

PROVIDER = "musicgen"
API_VERSION = "1.0.0"
MUSICGEN_SAMPLE_RATE = 32000
"""MusicGen's output rate (spec: ``metadata.sample_rate``); REST, websocket and fake agree."""
MAX_CONCURRENT = 10
"""Generations running at once per account (seed: "10 concurrent generations")."""
RATE_LIMIT = (100, 60.0)
"""Requests per window seconds per API key (seed: "100 requests per minute")."""

MODELS: tuple[dict[str, str], ...] = (
    {"name": "musicgen-small", "size": "300M", "quality": "good"},
    {"name": "musicgen-medium", "size": "1.5B", "quality": "better"},
    {"name": "musicgen-large", "size": "3.3B", "quality": "best"},
    {"name": "musicgen-melody", "size": "1.5B", "quality": "good"},
)
MODEL_NAMES = tuple(m["name"] for m in MODELS)
WORK_PER_AUDIO_SECOND = {"musicgen-small": 1.5, "musicgen-medium": 2.5,
                         "musicgen-large": 4.0, "musicgen-melody": 2.5}
"""Realistic seconds of work per second of audio (small: 30 s of audio -> eta 45, the seed)."""
MIX_SECONDS_PER_TRACK = 2.0
"""Realistic extra work per track of a multi-instrument task (mixing)."""
FAIL_FRACTION = 0.5
"""A failing task fails half-way through its ETA; ``progress`` stays there."""
STREAM_CHUNK_SECONDS = 1.0
"""Audio per websocket ``audio_chunk`` message."""
STREAM_WORK_PER_AUDIO_SECOND = 1.0
"""A stream produces audio in real time (on the real clock, divided by ``--speed``)."""

DEFAULTS: dict[str, Any] = {"duration": 30.0, "temperature": 1.0, "top_k": 50, "top_p": 0.9,
                            "model": "musicgen-small"}
TEMPERATURE_VARIANCE = 3.0
"""How far temperature moves the music's variance (1..10 scale) per unit away from 1.0."""

DEFAULT_MIX_PRESET = "studio"


@dataclass(frozen=True)
class MixPreset:
    """How a multi-instrument task's stems become its mix."""

    chain: tuple[Mapping[str, Any], ...]
    target_lufs: float
    headroom_db: float = 1.0
    spread: float = 0.6
    """How far apart (-spread..spread) non-centred instruments are panned."""


MIX_PRESETS: dict[str, MixPreset] = {
    "studio": MixPreset(({"type": "highpass", "cutoff_hz": 30},
                         {"type": "compressor", "threshold_db": -16, "ratio": 2.0}), -14.0),
    "jazz_club": MixPreset(({"type": "highpass", "cutoff_hz": 60},
                            {"type": "lowpass", "cutoff_hz": 9000},
                            {"type": "compressor", "threshold_db": -20, "ratio": 2.5},
                            {"type": "reverb", "room_size": 0.3, "wet": 0.18}), -16.0,
                           spread=0.5),
    "concert_hall": MixPreset(({"type": "highpass", "cutoff_hz": 40},
                               {"type": "reverb", "room_size": 0.85, "wet": 0.32}), -18.0,
                              headroom_db=1.5, spread=0.8),
    "lofi": MixPreset(({"type": "highpass", "cutoff_hz": 150},
                       {"type": "lowpass", "cutoff_hz": 3500},
                       {"type": "compressor", "threshold_db": -22, "ratio": 4.0}), -14.0,
                      spread=0.3),
    "live_room": MixPreset(({"type": "compressor", "threshold_db": -18, "ratio": 3.0},
                            {"type": "reverb", "room_size": 0.5, "wet": 0.22}), -15.0),
}
CENTRED = ("bass", "drum", "kick", "snare", "vocal", "lead")
"""Instruments whose name contains one of these are mixed in the centre."""
LEVELS = {"bass": 0.9, "drum": 0.8, "kick": 0.85, "vocal": 1.0, "lead": 0.9}
DEFAULT_LEVEL = 0.75

# Messages and codes (spec: components.responses and the API description's code table).
AUTH_MISSING = "Authentication is required to access this resource"
AUTH_INVALID = "The API key is not valid"
TASK_NOT_FOUND = "The specified task could not be found"
FILE_NOT_FOUND = "No such audio file (never generated, or its task is not completed yet)"
PROMPT_EMPTY = "Prompt cannot be empty"
PROMPT_TOO_LONG = "Prompt must be at most 500 characters"
PROMPT_NOT_TEXT = "Prompt must be a string"
GENERATION_FAILED = "Music generation failed"
PROMPT_RULES = {"required": PROMPT_EMPTY, "minLength": PROMPT_EMPTY, "pattern": PROMPT_EMPTY,
                "maxLength": PROMPT_TOO_LONG, "type": PROMPT_NOT_TEXT}
STATUS_CODES = {400: "VALIDATION_ERROR", 401: "INVALID_TOKEN", 404: "TASK_NOT_FOUND",
                405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 413: "PAYLOAD_TOO_LARGE",
                414: "URI_TOO_LONG", 415: "UNSUPPORTED_MEDIA_TYPE",
                429: "RATE_LIMIT_EXCEEDED", 431: "HEADERS_TOO_LARGE"}

PROCESSING, COMPLETED, STATUS_FAILED = "processing", "completed", "failed"
"""A task's ``status`` values."""
FAILURE_ERROR = {"code": "GENERATION_FAILED", "message": GENERATION_FAILED, "details": {}}
"""The error a failed task carries."""


# --- requests ----------------------------------------------------------------------------
def model_name(name: str) -> str:
    """A model name as the API lists it: ``facebook/musicgen-medium`` -> ``musicgen-medium``.
    Raises ValueError for a model that is not listed."""
    short = name.rsplit("/", 1)[-1] if name.startswith("facebook/") else name
    if short not in MODEL_NAMES:
        raise ValueError(f"model {name!r} not found; available: {', '.join(MODEL_NAMES)}")
    return short


def default_seed(server_seed: int, seq: int) -> int:
    """The seed the server picks for submission ``seq`` when the request gives none."""
    digest = hashlib.sha256(f"musicgen-seed:{server_seed}:{seq}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


@dataclass(frozen=True)
class Generation:
    """One text-to-music request with every default filled in (what the audio depends on)."""

    prompt: str
    duration: float
    seed: int
    temperature: float = DEFAULTS["temperature"]
    top_k: int = DEFAULTS["top_k"]
    top_p: float = DEFAULTS["top_p"]
    model: str = DEFAULTS["model"]

    @property
    def num_samples(self) -> int:
        """Length in samples at ``MUSICGEN_SAMPLE_RATE``."""
        return round(self.duration * MUSICGEN_SAMPLE_RATE)

    @property
    def seconds(self) -> float:
        """The rendered length in seconds (whole samples)."""
        return self.num_samples / MUSICGEN_SAMPLE_RATE

    def to_dict(self) -> dict[str, Any]:
        """JSON form (stored with the task)."""
        return asdict(self)


def generation_from(fields: Mapping[str, Any], seed_if_absent: int) -> Generation:
    """A validated request body (``GenerationRequest``) as a ``Generation``."""
    return Generation(
        prompt=str(fields["prompt"]),
        duration=float(fields.get("duration", DEFAULTS["duration"])),
        seed=int(fields["seed"]) if fields.get("seed") is not None else seed_if_absent,
        temperature=float(fields.get("temperature", DEFAULTS["temperature"])),
        top_k=int(fields.get("top_k", DEFAULTS["top_k"])),
        top_p=float(fields.get("top_p", DEFAULTS["top_p"])),
        model=model_name(str(fields.get("model", DEFAULTS["model"]))),
    )


@dataclass(frozen=True)
class MultiTrack:
    """A multi-instrument request: one prompt per instrument, mixed with a preset."""

    instruments: tuple[tuple[str, str], ...]
    duration: float
    seed: int
    mix_preset: str = DEFAULT_MIX_PRESET
    model: str = DEFAULTS["model"]

    @property
    def num_samples(self) -> int:
        """Length in samples at ``MUSICGEN_SAMPLE_RATE``."""
        return round(self.duration * MUSICGEN_SAMPLE_RATE)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (stored with the task); instruments as ordered [name, prompt] pairs."""
        return {"instruments": [list(pair) for pair in self.instruments],
                "duration": self.duration, "seed": self.seed, "mix_preset": self.mix_preset,
                "model": self.model}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> MultiTrack:
        """Inverse of ``to_dict``."""
        return cls(tuple((str(n), str(p)) for n, p in d["instruments"]), float(d["duration"]),
                   int(d["seed"]), str(d["mix_preset"]), str(d["model"]))


def multitrack_from(fields: Mapping[str, Any], seed_if_absent: int) -> MultiTrack:
    """A validated ``MultiInstrumentRequest`` body as a ``MultiTrack``."""
    preset = str(fields.get("mix_preset", DEFAULT_MIX_PRESET))
    if preset not in MIX_PRESETS:
        raise ValueError(f"mix preset {preset!r} not found; available: {', '.join(MIX_PRESETS)}")
    return MultiTrack(
        instruments=tuple((str(k), str(v)) for k, v in fields["instruments"].items()),
        duration=float(fields.get("duration", DEFAULTS["duration"])),
        seed=int(fields["seed"]) if fields.get("seed") is not None else seed_if_absent,
        mix_preset=preset,
        model=model_name(str(fields.get("model", DEFAULTS["model"]))),
    )


# --- timing ------------------------------------------------------------------------------
def eta_seconds(gen: Generation) -> int:
    """Realistic seconds until a generation completes (its ``eta`` on the real clock at
    ``--speed 1``; the manual clock uses the same, the instant clock 0)."""
    return max(1, math.ceil(gen.duration * WORK_PER_AUDIO_SECOND[gen.model]))


def multitrack_eta(mt: MultiTrack) -> int:
    """Realistic seconds until a multi-instrument task completes: the tracks one after
    another, plus mixing."""
    per_track = mt.duration * WORK_PER_AUDIO_SECOND[mt.model] + MIX_SECONDS_PER_TRACK
    return max(1, math.ceil(per_track * len(mt.instruments)))


def schedule(created_at: float, work_seconds: float, fails: bool) -> list[tuple[str, float]]:
    """A task's steps: processing now, then completed (or failed half-way) on the clock."""
    if fails:
        return [(PROCESSING, created_at),
                (STATUS_FAILED, created_at + work_seconds * FAIL_FRACTION)]
    return [(PROCESSING, created_at), (COMPLETED, created_at + work_seconds)]


# --- task shapes -------------------------------------------------------------------------
def file_name(task_id: str, stem: int | None = None) -> str:
    """The WAV file name behind ``audio_url`` (``stem`` None) or one of ``stems``."""
    return f"{task_id}.wav" if stem is None else f"{task_id}_stem{stem}.wav"


def parse_file_name(name: str) -> tuple[str, int | None] | None:
    """(task id, stem index or None) of a file name, or None if it names no file."""
    if not name.endswith(".wav"):
        return None
    stem_part = name[:-4]
    task_id, sep, index = stem_part.partition("_stem")
    if not sep:
        return stem_part, None
    return (task_id, int(index)) if index.isdigit() and str(int(index)) == index else None


def progress(task: Task, now: float) -> float:
    """Fraction of the work done at ``now`` (1 when completed; a failed task stays where it
    failed)."""
    status = task.status_at(now)
    if status == COMPLETED:
        return 1.0
    if status == STATUS_FAILED:
        return FAIL_FRACTION
    span = float(task.result.get("work_seconds", 0.0))
    return 0.0 if span <= 0 else round(max(0.0, min(0.999, (now - task.created_at) / span)), 3)


def metadata(task: Task) -> dict[str, Any]:
    """``TaskStatus.metadata``: the parameters as applied."""
    request = dict(task.request)
    common = {"model": request["model"], "seed": request["seed"],
              "sample_rate": MUSICGEN_SAMPLE_RATE, "format": "wav"}
    if task.kind == "multi_instrument":
        return {**common, "instruments": dict(request["instruments"]),
                "mix_preset": request["mix_preset"]}
    meta = {"prompt": request["prompt"], **common, "temperature": request["temperature"],
            "top_k": request["top_k"], "top_p": request["top_p"]}
    if task.result.get("batch_id"):
        meta["batch_id"] = task.result["batch_id"]
    return meta


def task_status(task: Task, now: float, audio_base: str) -> dict[str, Any]:
    """``GET /generate/{task_id}`` body. ``audio_base`` is the API's absolute base URL."""
    status = task.status_at(now)
    done = status == COMPLETED
    samples = round(float(task.request["duration"]) * MUSICGEN_SAMPLE_RATE)
    body: dict[str, Any] = {
        "task_id": task.id,
        "status": status,
        "audio_url": f"{audio_base}/audio/{file_name(task.id)}" if done else None,
        "duration": samples / MUSICGEN_SAMPLE_RATE if done else float(task.request["duration"]),
        "progress": progress(task, now),
        "metadata": metadata(task),
        "error": task.error if status == STATUS_FAILED else None,
    }
    if task.kind == "multi_instrument":
        names = [name for name, _ in task.request["instruments"]]
        body["stems"] = ({name: f"{audio_base}/audio/{file_name(task.id, i)}"
                          for i, name in enumerate(names)} if done else None)
    return body


# --- error bodies ------------------------------------------------------------------------
def field_name(location: Sequence[str | int]) -> str:
    """``("requests", 0, "prompt")`` as ``requests[0].prompt``."""
    out = ""
    for part in location:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validation_code(location: Sequence[str | int], rule: str | None) -> str:
    """The error code for invalid input at ``location`` (body field path) breaking ``rule``."""
    if location and location[-1] == "prompt" and rule in PROMPT_RULES:
        return "INVALID_PROMPT"
    if len(location) >= 2 and location[0] == "instruments" and rule in PROMPT_RULES:
        return "INVALID_PROMPT"
    if location and location[-1] == "model" and rule == "enum":
        return "MODEL_NOT_FOUND"
    if list(location) == ["mix_preset"] and rule == "enum":
        return "INVALID_MIX_PRESET"
    return "VALIDATION_ERROR"


def validation_error(location: Sequence[str | int], rule: str | None,
                     message: str) -> dict[str, Any]:
    """The ``error`` object for invalid input (also used for websocket messages)."""
    rule = rule.split(":", 1)[0] if rule else rule  # "type:string" -> "type"
    code = validation_code(location, rule)
    name = field_name(location)
    if code == "INVALID_PROMPT":
        text = PROMPT_RULES[rule or "required"]
        message = text if name == "prompt" else f"{name}: {text}"
    details: dict[str, Any] = {"field": name, "rule": rule} if name or rule else {}
    return {"code": code, "message": message, "details": details}


def error_object(error: Any) -> dict[str, Any]:
    """The inner ``error`` object for an ``ApiError`` (duck-typed: status, code, message,
    location, details)."""
    details = dict(getattr(error, "details", None) or {})
    code = error.code
    if code and code.isupper():
        return {"code": code, "message": error.message, "details": details}
    location = getattr(error, "location", None)
    if error.status == 400 and location and location[0] == "body":
        return validation_error(location[1:], code, error.message)
    if error.status == 400 and location:
        details = {"field": field_name(location[1:]), "rule": (code or "").split(":", 1)[0],
                   "in": location[0]}
    if error.status == 401:
        code = ("AUTHENTICATION_REQUIRED" if error.message.startswith(AUTH_MISSING)
                else "INVALID_TOKEN")
    elif error.status == 404 and error.message.startswith("no such endpoint"):
        code = "NOT_FOUND"
    else:
        code = STATUS_CODES.get(error.status, "INTERNAL_ERROR")
    return {"code": code, "message": error.message, "details": details}


def error_body(error: Any) -> dict[str, Any]:
    """The seed's error envelope ``{"error": {code, message, details}}``."""
    return {"error": error_object(error)}


# --- rendering ---------------------------------------------------------------------------
def _features(prompt: str, temperature: float) -> MusicFeatures:
    base = features_from_prompt(prompt)
    # Sampling temperature makes MusicGen's output more or less adventurous.
    return replace(base, variance=base.variance.shifted((temperature - 1.0) * TEMPERATURE_VARIANCE))


def source(gen: Generation) -> Source:
    """The music of a generation (stereo engine output; the API's audio is its mono mixdown)."""
    piece_seed = stable_hash("musicgen", gen.model, gen.seed, gen.temperature, gen.top_k,
                             gen.top_p)
    return MusicSource(plan(_features(gen.prompt, gen.temperature), gen.duration, piece_seed,
                            MUSICGEN_SAMPLE_RATE))


def pcm_chunks(gen: Generation, chunk_samples: int = MUSICGEN_SAMPLE_RATE) -> Iterator[bytes]:
    """Mono 16-bit little-endian PCM in chunks: the websocket's ``audio_chunk`` payloads;
    joined, they are the data of ``wav(gen)``."""
    return iter_pcm16(source(gen), 1, chunk_samples)


def wav(gen: Generation) -> bytes:
    """The generation as a mono 16-bit WAV at ``MUSICGEN_SAMPLE_RATE`` (behind ``audio_url``)."""
    return encode_wav(source(gen), MUSICGEN_SAMPLE_RATE, channels=1)


def pcm_to_float(pcm: bytes, channels: int) -> np.ndarray:
    """16-bit PCM bytes as float32 samples (k / 32767, so they encode back to the same PCM);
    shape (n,) for mono, (n, channels) otherwise."""
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / np.float32(32767.0)
    return x if channels == 1 else x.reshape(-1, channels)


def samples(gen: Generation) -> np.ndarray:
    """The generation's samples exactly as its WAV holds them: float32 mono (n,)."""
    return pcm_to_float(b"".join(pcm_chunks(gen, 1 << 16)), 1)


def _stem_features(mt: MultiTrack, index: int) -> MusicFeatures:
    name, prompt = mt.instruments[index]
    # Stems share tempo, key and scale (from all prompts together), so they play together.
    shared = features_from_prompt(" ".join(p for _, p in mt.instruments))
    own = features_from_prompt(f"{name} {prompt}")
    return replace(own, tempo=shared.tempo, scale=shared.scale, root=shared.root)


def stem_source(mt: MultiTrack, index: int) -> Source:
    """One instrument's track of a multi-instrument request."""
    name, prompt = mt.instruments[index]
    piece_seed = stable_hash("musicgen-stem", mt.model, mt.seed, index, name, prompt)
    return MusicSource(plan(_stem_features(mt, index), mt.duration, piece_seed,
                            MUSICGEN_SAMPLE_RATE))


def stem_wav(mt: MultiTrack, index: int) -> bytes:
    """One stem as a mono 16-bit WAV."""
    return encode_wav(stem_source(mt, index), MUSICGEN_SAMPLE_RATE, channels=1)


def stem_samples(mt: MultiTrack, index: int) -> np.ndarray:
    """One stem's samples exactly as its WAV holds them (float32 mono)."""
    return pcm_to_float(b"".join(iter_pcm16(stem_source(mt, index), 1)), 1)


@dataclass(frozen=True)
class MixPlan:
    """Levels, pan positions and the preset's processing for one multi-instrument mix."""

    levels: tuple[float, ...]
    pans: tuple[float, ...]
    preset: MixPreset = field(repr=False)


def mix_plan(mt: MultiTrack) -> MixPlan:
    """Levels and pans from instrument names: bass, drums, vocals in the centre, the rest
    spread evenly across the preset's stereo width."""
    preset = MIX_PRESETS[mt.mix_preset]
    names = [name.lower() for name, _ in mt.instruments]
    levels = tuple(next((v for k, v in LEVELS.items() if k in n), DEFAULT_LEVEL) for n in names)
    sides = [i for i, n in enumerate(names) if not any(k in n for k in CENTRED)]
    pans = [0.0] * len(names)
    if len(sides) > 1:
        for j, i in enumerate(sides):
            pans[i] = round(-preset.spread + 2 * preset.spread * j / (len(sides) - 1), 4)
    return MixPlan(levels, tuple(pans), preset)


def mix_samples(mt: MultiTrack, stems: Sequence[np.ndarray] | None = None,
                plan_: MixPlan | None = None) -> np.ndarray:
    """The stereo mix (float32 (n, 2)) of a multi-instrument request: stems at their levels
    and pans, the preset's effects, then mastered to the preset's loudness."""
    plan_ = plan_ or mix_plan(mt)
    tracks = stems if stems is not None else [stem_samples(mt, i)
                                              for i in range(len(mt.instruments))]
    mixed = effects.mix(tracks, plan_.levels, plan_.pans)
    processed = effects.apply_chain(mixed, MUSICGEN_SAMPLE_RATE, plan_.preset.chain)
    try:
        return effects.master(processed, MUSICGEN_SAMPLE_RATE, plan_.preset.target_lufs,
                              plan_.preset.headroom_db)
    except ValueError:  # too short or too quiet to measure loudness: left as processed
        return processed


def mix_wav(mt: MultiTrack) -> bytes:
    """The mix as a stereo 16-bit WAV (behind a multi-instrument task's ``audio_url``)."""
    return encode_wav(Samples(mix_samples(mt)), MUSICGEN_SAMPLE_RATE, channels=2)


def has_file(kind: str, request: Mapping[str, Any], stem: int | None) -> bool:
    """Whether a task of ``kind`` has the file (``stem`` None: the main WAV)."""
    if stem is None:
        return True
    return kind == "multi_instrument" and 0 <= stem < len(request["instruments"])


def render_file(kind: str, request: Mapping[str, Any], stem: int | None) -> bytes:
    """The WAV bytes of a task's file (see ``has_file``)."""
    if kind == "multi_instrument":
        mt = MultiTrack.from_dict(request)
        return mix_wav(mt) if stem is None else stem_wav(mt, stem)
    return wav(Generation(**{k: request[k] for k in Generation.__dataclass_fields__}))
