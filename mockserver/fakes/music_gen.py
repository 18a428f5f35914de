"""An offline fake of the ``music_gen`` Python library (the "Music Gen AI" README).

The classes the README documents, with no model weights, torch or network:
``MusicGenerator`` renders music with the mock's deterministic synthesizer,
``MultiInstrumentGenerator`` renders stems and their mix, ``AudioMixer`` mixes, applies
real effects and masters to a loudness target (pyloudnorm), and ``APIClient`` talks to the
REST API (the mock server, or anything that speaks it) over HTTP.

``MusicGenerator.generate`` and the REST ``POST /generate`` give the same audio for the
same request and seed: both render through ``mockserver.providers.musicgen.model`` (the
only part of the provider imported here). Audio is mono at 32 kHz (MusicGen's rate);
mixes are stereo.

Use it as ``music_gen``: ``mockserver.fakes.install()``, or in pytest
``-p mockserver.fakes.pytest_plugin`` (see ``mockserver.fakes``).
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
from jsonschema import Draft4Validator
from jsonschema.exceptions import best_match

from mockserver.audio import Samples, decode, encode_flac, encode_mp3, encode_wav
from mockserver.audio import effects as dsp
from mockserver.audio.encode import to_pcm16
from mockserver.audio.features import stable_hash
from mockserver.openapi.refs import with_components
from mockserver.openapi.schema_errors import error_location
from mockserver.openapi.specs import load_spec
from mockserver.providers.musicgen import model as _model

__all__ = [
    "APIClient", "APIError", "AudioMixer", "AudioOutput", "GenerationError",
    "GenerationResult", "MultiInstrumentGenerator", "MultiTrackResult", "MusicGenerator",
]

SAMPLE_RATE = _model.MUSICGEN_SAMPLE_RATE
DEFAULT_BASE_URL = "http://localhost:8000/api/v1"
"""The README's base URL; ``APIClient`` uses ``$MUSIC_GEN_API_URL`` first when set."""
BASE_URL_ENV = "MUSIC_GEN_API_URL"
DEVICES = ("auto", "cpu", "cuda", "mps")


# --- audio -------------------------------------------------------------------------------
def _quantized(x: np.ndarray) -> np.ndarray:
    """``x`` as 16-bit PCM would hold it (so saving and the API's WAV agree exactly)."""
    return to_pcm16(np.asarray(x, np.float32)).astype(np.float32) / np.float32(32767.0)


class AudioOutput:
    """Generated audio: float32 ``samples`` ((n,) mono or (n, 2) stereo) at ``sample_rate``."""

    def __init__(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE,
                 metadata: Mapping[str, Any] | None = None) -> None:
        x = np.asarray(samples, dtype=np.float32)
        if x.ndim == 2 and x.shape[1] == 1:
            x = x[:, 0]
        if x.ndim not in (1, 2) or (x.ndim == 2 and x.shape[1] != 2):
            raise ValueError(f"samples must be (n,) or (n, 2), not {x.shape}")
        self.samples = x
        self.sample_rate = int(sample_rate)
        self.metadata = dict(metadata or {})

    @property
    def channels(self) -> int:
        """1 (mono) or 2 (stereo)."""
        return 1 if self.samples.ndim == 1 else 2

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.samples) / self.sample_rate

    def __len__(self) -> int:
        return len(self.samples)

    def __repr__(self) -> str:
        return (f"AudioOutput({self.duration:.3f} s, {self.sample_rate} Hz,"
                f" {'mono' if self.channels == 1 else 'stereo'})")

    def to_bytes(self, format: str = "wav") -> bytes:
        """The audio encoded as ``wav`` (16-bit PCM), ``flac`` (16-bit) or ``mp3`` (stereo,
        128 kbps)."""
        source = Samples(self.samples)
        if format == "wav":
            return encode_wav(source, self.sample_rate, channels=self.channels)
        if format == "flac":
            return encode_flac(source, self.sample_rate, channels=self.channels)
        if format == "mp3":
            return encode_mp3(source, self.sample_rate)
        raise ValueError(f"unsupported audio format {format!r}: use wav, flac or mp3")

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the audio to ``path``; the extension (.wav, .flac, .mp3) picks the format."""
        target = Path(path)
        data = self.to_bytes(target.suffix.lower().lstrip("."))
        target.write_bytes(data)
        return target

    @classmethod
    def from_bytes(cls, data: bytes, metadata: Mapping[str, Any] | None = None) -> AudioOutput:
        """Decode WAV, FLAC or MP3 bytes."""
        if data[:4] == b"RIFF":  # 16-bit PCM as k / 32767, exactly as generated
            pcm, rate = soundfile.read(io.BytesIO(data), dtype="int16", always_2d=True)
            x = pcm.astype(np.float32) / np.float32(32767.0)
        else:
            x, rate = decode(data)
        return cls(x[:, 0] if x.shape[1] == 1 else x, rate, metadata)


def _audio(track: AudioOutput | np.ndarray, sample_rate: int) -> AudioOutput:
    return track if isinstance(track, AudioOutput) else AudioOutput(track, sample_rate)


# --- validation (the REST API's rules, from its spec) ------------------------------------
@cache
def _validator(schema: str) -> Draft4Validator:
    spec = load_spec("musicgen")
    return Draft4Validator(with_components(spec, {"$ref": f"#/components/schemas/{schema}"}))


def _check(schema: str, fields: Mapping[str, Any]) -> None:
    """Raise ValueError, naming the field, if ``fields`` break the API's ``schema``."""
    error = best_match(_validator(schema).iter_errors(dict(fields)))
    if error is None:
        return
    problem = _model.validation_error(error_location(error), str(error.validator), error.message)
    message = problem["message"]
    if problem["code"] != "INVALID_PROMPT" and problem["details"].get("field"):
        message = f"{problem['details']['field']}: {error.message}"
    raise ValueError(message)


def _local_seed(*parts: Any) -> int:
    """The seed used when none is given: a stable hash of the request (the REST API picks
    one per submission instead; pass ``seed`` to get the same audio from both)."""
    return stable_hash("music_gen-fake", *parts) & 0x7FFFFFFF


# --- generators --------------------------------------------------------------------------
class MusicGenerator:
    """Text-to-music generation (offline: the mock's synthesizer stands in for MusicGen)."""

    def __init__(self, model: str, device: str = "auto", dtype: Any = None,
                 cache_dir: str | os.PathLike[str] | None = None) -> None:
        self.model = model
        self.model_name = _model.model_name(model)
        if device not in DEVICES and not str(device).startswith("cuda:"):
            raise ValueError(f"device must be one of {', '.join(DEVICES)} (or cuda:N)")
        self.device = "cpu" if device == "auto" else device
        self.dtype = dtype
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.sample_rate = SAMPLE_RATE

    def __repr__(self) -> str:
        return f"MusicGenerator(model={self.model!r}, device={self.device!r})"

    def _generation(self, prompt: str, duration: float, temperature: float, top_k: int,
                    top_p: float, seed: int | None) -> _model.Generation:
        fields = {"prompt": prompt, "duration": duration, "temperature": temperature,
                  "top_k": top_k, "top_p": top_p, "model": self.model_name}
        if seed is not None:
            fields["seed"] = seed
        _check("GenerationRequest", fields)
        if seed is None:
            seed = _local_seed(prompt, float(duration), float(temperature), int(top_k),
                               float(top_p), self.model_name)
        return _model.generation_from(fields, seed)

    def generate(self, prompt: str, duration: float = 30.0, temperature: float = 1.0,
                 top_k: int = 50, top_p: float = 0.9, seed: int | None = None) -> AudioOutput:
        """Generate ``duration`` seconds of mono audio from ``prompt``.

        Same arguments and seed, same audio (also as the REST API's WAV). Raises ValueError
        for what the API refuses (blank prompt, duration outside 0-300 s, ...)."""
        gen = self._generation(prompt, duration, temperature, top_k, top_p, seed)
        meta = {**gen.to_dict(), "sample_rate": SAMPLE_RATE, "device": self.device}
        return AudioOutput(_model.samples(gen), SAMPLE_RATE, meta)

    def generate_batch(self, prompts: Iterable[str], **kwargs: Any) -> list[AudioOutput]:
        """``generate`` for each prompt with the same keyword arguments."""
        return [self.generate(prompt, **kwargs) for prompt in prompts]


class MultiTrackResult(dict):
    """Instrument name -> ``AudioOutput`` (mono stems), plus ``.mix`` (the stereo mix)."""

    def __init__(self, tracks: Mapping[str, AudioOutput], mix: AudioOutput,
                 mix_preset: str, seed: int) -> None:
        super().__init__(tracks)
        self.mix = mix
        self.mix_preset = mix_preset
        self.seed = seed


class MultiInstrumentGenerator:
    """One track per instrument, in one tempo and key, mixed with a preset."""

    def __init__(self, model: str = "facebook/musicgen-small", device: str = "auto",
                 dtype: Any = None, cache_dir: str | os.PathLike[str] | None = None) -> None:
        self.generator = MusicGenerator(model, device, dtype, cache_dir)
        self.sample_rate = SAMPLE_RATE

    def generate_multi_track(self, prompts: Mapping[str, str], duration: float = 30.0,
                             mix_settings: Mapping[str, Any] | None = None,
                             seed: int | None = None) -> MultiTrackResult:
        """Render each instrument's prompt as a stem and mix them.

        ``mix_settings``: ``preset`` (or ``mix_preset``: jazz_club, studio, concert_hall,
        lofi, live_room; default studio) and optional overrides ``levels`` / ``panning``
        (by instrument), ``effects`` (the mix's effect chain), ``target_lufs``,
        ``headroom_db``. With only a preset, the stems and the mix equal the REST API's
        ``POST /multi-instrument`` result for the same seed."""
        settings = dict(mix_settings or {})
        preset = settings.pop("preset", settings.pop("mix_preset", _model.DEFAULT_MIX_PRESET))
        body: dict[str, Any] = {"instruments": dict(prompts), "duration": duration,
                                "mix_preset": preset}
        _check("MultiInstrumentRequest", body)
        if seed is None:
            seed = _local_seed(tuple(body["instruments"].items()), float(duration),
                               self.generator.model_name)
        mt = _model.multitrack_from({**body, "model": self.generator.model_name}, seed)
        stems = [_model.stem_samples(mt, i) for i in range(len(mt.instruments))]
        plan = _mix_plan(mt, settings)
        mix = _quantized(_model.mix_samples(mt, stems, plan))
        meta = {**mt.to_dict(), "sample_rate": SAMPLE_RATE}
        tracks = {name: AudioOutput(x, SAMPLE_RATE, {**meta, "instrument": name})
                  for (name, _), x in zip(mt.instruments, stems)}
        return MultiTrackResult(tracks, AudioOutput(mix, SAMPLE_RATE, meta), preset, seed)


def _mix_plan(mt: _model.MultiTrack, settings: Mapping[str, Any]) -> _model.MixPlan:
    plan = _model.mix_plan(mt)
    names = [name for name, _ in mt.instruments]
    unknown = set(settings) - {"levels", "panning", "effects", "target_lufs", "headroom_db"}
    if unknown:
        raise ValueError(f"unknown mix setting(s): {', '.join(sorted(unknown))}")
    levels = dict(zip(names, plan.levels)) | dict(settings.get("levels") or {})
    pans = dict(zip(names, plan.pans)) | dict(settings.get("panning") or {})
    preset = plan.preset
    if "effects" in settings:
        preset = replace(preset, chain=tuple(settings["effects"]))
    for name in ("target_lufs", "headroom_db"):
        if name in settings:
            preset = replace(preset, **{name: float(settings[name])})
    return _model.MixPlan(tuple(float(levels[n]) for n in names),
                          tuple(float(pans[n]) for n in names), preset)


class AudioMixer:
    """Mixing, effects and mastering (real DSP on the samples)."""

    def __init__(self, sample_rate: int = SAMPLE_RATE) -> None:
        self.sample_rate = sample_rate
        """The rate of tracks given as bare arrays."""

    def mix_tracks(self, tracks: Mapping[str, AudioOutput | np.ndarray] | Sequence[Any],
                   levels: Mapping[str, float] | Sequence[float] | None = None,
                   panning: Mapping[str, float] | Sequence[float] | None = None,
                   effects: Mapping[str, Sequence[Any]] | Sequence[Sequence[Any]] | None = None,
                   ) -> AudioOutput:
        """A stereo mix: each track through its ``effects`` chain, scaled by its linear
        ``levels`` gain (default 1.0), placed at its ``panning`` position (-1 left .. 1
        right, default 0). Per-track settings are keyed like ``tracks`` (names or indexes).
        Tracks must share a sample rate; shorter ones are padded with silence."""
        named = dict(tracks) if isinstance(tracks, Mapping) else dict(enumerate(tracks))
        if not named:
            raise ValueError("nothing to mix")
        audios = {k: _audio(t, self.sample_rate) for k, t in named.items()}
        rates = {a.sample_rate for a in audios.values()}
        if len(rates) != 1:
            raise ValueError(f"tracks have different sample rates: {sorted(rates)}")
        rate = rates.pop()

        def per_track(values: Any, default: Any) -> dict[Any, Any]:
            if values is None:
                return {k: default for k in audios}
            given = dict(values) if isinstance(values, Mapping) else dict(enumerate(values))
            unknown = set(given) - set(audios)
            if unknown:
                raise ValueError(f"settings for unknown track(s): {sorted(map(str, unknown))}")
            return {k: given.get(k, default) for k in audios}

        chains = per_track(effects, ())
        gains, pans = per_track(levels, 1.0), per_track(panning, 0.0)
        processed = [self._chain(a.samples, rate, chains[k]) for k, a in audios.items()]
        mixed = dsp.mix(processed, [float(gains[k]) for k in audios],
                                         [float(pans[k]) for k in audios])
        return AudioOutput(mixed, rate)

    @staticmethod
    def _chain(x: np.ndarray, rate: int, chain: Sequence[Any]) -> np.ndarray:
        return dsp.apply_chain(x, rate, chain)

    def apply_effects(self, audio: AudioOutput | np.ndarray,
                      effects_chain: Sequence[Any]) -> AudioOutput:
        """``audio`` through the effects in order. Each effect is a name, ``(name, params)``
        or ``{"type": name, **params}``: gain(db), fade_in(seconds), fade_out(seconds),
        lowpass/highpass(cutoff_hz, order), compressor(threshold_db, ratio, attack_ms,
        release_ms, makeup_db), reverb(room_size, wet, decay_seconds, predelay_ms),
        limiter(ceiling_db, release_ms)."""
        a = _audio(audio, self.sample_rate)
        return AudioOutput(self._chain(a.samples, a.sample_rate, effects_chain),
                           a.sample_rate, a.metadata)

    def master(self, audio: AudioOutput | np.ndarray, target_lufs: float = -14.0,
               headroom_db: float = 1.0) -> AudioOutput:
        """Gain plus peak limiting to ``target_lufs`` integrated loudness (BS.1770, within
        0.1 LU when reachable) with true and sample peaks at least ``headroom_db`` below
        full scale."""
        a = _audio(audio, self.sample_rate)
        y = dsp.master(a.samples, a.sample_rate, target_lufs, headroom_db)
        return AudioOutput(y, a.sample_rate, a.metadata)


# --- REST client -------------------------------------------------------------------------
class APIError(Exception):
    """An error answer of the REST API: HTTP status and the body's code, message, details."""

    def __init__(self, status: int, code: str, message: str,
                 details: Mapping[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = dict(details or {})


class GenerationError(APIError):
    """A task that ended ``failed``."""


class GenerationResult:
    """A completed generation: its task, metadata and audio (the server's WAV)."""

    def __init__(self, task: Mapping[str, Any], wav: bytes) -> None:
        self.task = dict(task)
        self.task_id: str = task["task_id"]
        self.audio_url: str = task["audio_url"]
        self.metadata: dict[str, Any] = dict(task.get("metadata") or {})
        self.wav = wav
        self.audio = AudioOutput.from_bytes(wav, self.metadata)

    @property
    def samples(self) -> np.ndarray:
        """The decoded samples."""
        return self.audio.samples

    @property
    def sample_rate(self) -> int:
        """Samples per second."""
        return self.audio.sample_rate

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.audio.duration

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the audio; ``.wav`` writes the server's file byte for byte."""
        target = Path(path)
        if target.suffix.lower() == ".wav":
            target.write_bytes(self.wav)
            return target
        return self.audio.save(target)


class APIClient:
    """A client of the REST API: submit, poll until done, download."""

    def __init__(self, api_key: str, base_url: str | None = None, timeout: float = 60.0,
                 poll_interval: float = 1.0) -> None:
        import httpx  # here: only the client needs it

        self.base_url = (base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")
        self.poll_interval = poll_interval
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout,
                                  headers={"Authorization": f"Bearer {api_key}"})

    def __enter__(self) -> APIClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
            except (ValueError, KeyError, TypeError):
                error = {"code": "HTTP_ERROR", "message": response.text[:200]}
            raise APIError(response.status_code, error.get("code", "HTTP_ERROR"),
                           error.get("message", ""), error.get("details"))
        return response.json()

    def submit(self, prompt: str, duration: float = 30.0, **params: Any) -> dict[str, Any]:
        """``POST /generate``: the task answer ``{task_id, status, eta}``."""
        return self._call("POST", "/generate", json={"prompt": prompt, "duration": duration,
                                                     **params})

    def status(self, task_id: str) -> dict[str, Any]:
        """``GET /generate/{task_id}``."""
        return self._call("GET", f"/generate/{task_id}")

    def wait(self, task_id: str, timeout: float = 600.0,
             poll_interval: float | None = None) -> dict[str, Any]:
        """Poll until the task is completed (returned) or failed (GenerationError)."""
        deadline = time.monotonic() + timeout
        interval = self.poll_interval if poll_interval is None else poll_interval
        while True:
            task = self.status(task_id)
            if task["status"] == "completed":
                return task
            if task["status"] == "failed":
                error = task.get("error") or {}
                raise GenerationError(200, error.get("code", "GENERATION_FAILED"),
                                      error.get("message", "generation failed"),
                                      error.get("details"))
            if time.monotonic() >= deadline:
                raise TimeoutError(f"task {task_id} still {task['status']} after {timeout} s")
            time.sleep(interval)  # client-side pacing between polls

    def download(self, url: str) -> bytes:
        """The bytes behind an ``audio_url``."""
        response = self._http.get(url)
        if response.status_code >= 400:
            raise APIError(response.status_code, "DOWNLOAD_FAILED", response.text[:200])
        return response.content

    def generate(self, prompt: str, duration: float = 30.0, *, timeout: float = 600.0,
                 poll_interval: float | None = None, **params: Any) -> GenerationResult:
        """Submit, wait for completion, download the WAV (``params``: temperature, top_k,
        top_p, seed, model)."""
        task_id = self.submit(prompt, duration, **params)["task_id"]
        task = self.wait(task_id, timeout, poll_interval)
        return GenerationResult(task, self.download(task["audio_url"]))

    def models(self) -> list[dict[str, Any]]:
        """``GET /models``."""
        return list(self._call("GET", "/models")["models"])

    def health(self) -> dict[str, Any]:
        """``GET /health``."""
        return dict(self._call("GET", "/health"))
