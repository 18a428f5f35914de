"""Deterministic music synthesizer: plan a piece, then render any sample range.

``plan`` turns features, a duration and a seed into a :class:`Piece` (an event
list in samples). ``Piece.render(start, stop)`` mixes the cached note
waveforms that overlap the range. Every output sample is a fixed sequence of
float32 operations on the events overlapping it, independent of how the
range is split, so chunked rendering equals one-shot rendering bit for bit.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass

import numpy as np

from mockserver.audio.composer import BUS_C, BUS_L, BUS_R, STEPS_PER_BEAT, Composer
from mockserver.audio.features import MusicFeatures, features_to_dict
from mockserver.audio.instruments import BRIGHT_LEVELS, DRUMS, instrument_gain, note_length, note_wave
from mockserver.audio.rate import SAMPLE_RATE

#: Bump when the music for given inputs changes (part of content hashes).
SYNTH_VERSION = 1

MASTER_GAIN = 0.42
RENDER_BLOCK = 1 << 15
_CENTRE = np.float32(0.8)  # centre bus level in each channel
_CROSS = np.float32(0.3)  # how much of the left bus leaks into the right channel and vice versa
_LIMIT = 0.9  # soft-clip threshold
_FADE_S = 0.15
_MAX_FIT_STRETCH = 1.5


@dataclass(frozen=True)
class Note:
    """One planned note (or drum hit)."""

    start: int  # first sample
    length: int  # samples, including the release tail
    pitch: int  # MIDI pitch (General-MIDI drum number for drums)
    instrument: str
    velocity: float  # 0..1


def _plan_seed(features: MusicFeatures, duration_s: float, seed: int, sample_rate: int, fit_bars: bool) -> int:
    blob = json.dumps(
        {
            "v": SYNTH_VERSION,
            "seed": int(seed),
            "features": features_to_dict(features),
            "duration": repr(float(duration_s)),
            "sr": sample_rate,
            "fit": fit_bars,
        },
        sort_keys=True,
    )
    return int.from_bytes(hashlib.sha256(blob.encode()).digest()[:16], "big")


class Piece:
    """A planned piece of music: ``num_samples`` stereo samples at ``sample_rate``."""

    def __init__(
        self,
        *,
        features: MusicFeatures,
        duration_s: float,
        seed: int,
        sample_rate: int,
        num_samples: int,
        bpm: float,
        bars: int,
        beats_per_bar: int,
        starts: np.ndarray,
        lengths: np.ndarray,
        wave_ids: np.ndarray,
        gains: np.ndarray,
        buses: np.ndarray,
        velocities: np.ndarray,
        wave_keys: list[tuple[str, int, int, int, int, int]],
    ) -> None:
        self.features = features
        self.duration_s = duration_s
        self.seed = seed
        self.sample_rate = sample_rate
        self.num_samples = num_samples
        self.bpm = bpm
        self.bars = bars
        self.beats_per_bar = beats_per_bar
        self._starts = starts
        self._lengths = lengths
        self._ends = starts + lengths
        self._wave_ids = wave_ids
        self._gains = gains
        self._buses = buses
        self._velocities = velocities
        self._wave_keys = wave_keys
        self._max_len = int(lengths.max()) if len(lengths) else 0
        self._fade = min(int(_FADE_S * sample_rate), num_samples // 4)

    def __repr__(self) -> str:
        return (f"Piece({self.num_samples} samples @ {self.sample_rate} Hz, {self.bpm:.2f} BPM, "
                f"{self.bars} bars, {len(self._starts)} notes)")

    @property
    def num_notes(self) -> int:
        """Number of planned notes."""
        return len(self._starts)

    @property
    def notes(self) -> list[Note]:
        """The event list, sorted by start sample."""
        out = []
        for i in range(len(self._starts)):
            inst, pitch = self._wave_keys[int(self._wave_ids[i])][:2]
            out.append(Note(int(self._starts[i]), int(self._lengths[i]), pitch, inst,
                            float(self._velocities[i])))
        return out

    def _wave(self, wid: int) -> np.ndarray:
        inst, pitch, hold, length, bright, variant = self._wave_keys[wid]
        return note_wave(inst, pitch, hold, length, bright, variant, self.sample_rate)

    def render(self, start: int, stop: int) -> np.ndarray:
        """Samples ``[start, stop)`` as float32 of shape (stop - start, 2) within [-1, 1]."""
        if not 0 <= start <= stop <= self.num_samples:
            raise ValueError(f"range [{start}, {stop}) outside 0..{self.num_samples}")
        out = np.empty((stop - start, 2), dtype=np.float32)
        for b0 in range(start, stop, RENDER_BLOCK):
            b1 = min(stop, b0 + RENDER_BLOCK)
            self._render_block(b0, b1, out[b0 - start : b1 - start])
        return out

    def _render_block(self, b0: int, b1: int, out: np.ndarray) -> None:
        m = b1 - b0
        buses = np.zeros((3, m), dtype=np.float32)
        lo = int(np.searchsorted(self._starts, b0 - self._max_len, side="right"))
        hi = int(np.searchsorted(self._starts, b1, side="left"))
        tmp = np.empty(m, dtype=np.float32)
        waves: dict[int, np.ndarray] = {}
        starts = self._starts[lo:hi].tolist()
        ends = self._ends[lo:hi].tolist()
        wids = self._wave_ids[lo:hi].tolist()
        gains = self._gains[lo:hi].tolist()
        bus_ids = self._buses[lo:hi].tolist()
        for s, e, wid, g, bus in zip(starts, ends, wids, gains, bus_ids):
            if e <= b0:
                continue
            w = waves.get(wid)
            if w is None:
                w = waves[wid] = self._wave(wid)
            a = s if s > b0 else b0
            z = e if e < b1 else b1
            t = tmp[: z - a]
            np.multiply(w[a - s : z - s], g, out=t)
            buses[bus, a - b0 : z - b0] += t
        centre = buses[BUS_C] * _CENTRE
        left = centre + buses[BUS_L]
        left += buses[BUS_R] * _CROSS
        right = centre + buses[BUS_R]
        right += buses[BUS_L] * _CROSS
        fade_from = self.num_samples - self._fade
        if b1 > fade_from and self._fade > 0:
            a = max(b0, fade_from)
            idx = np.arange(a, b1, dtype=np.float64)
            g32 = ((self.num_samples - idx) / self._fade).astype(np.float32)
            left[a - b0 :] *= g32
            right[a - b0 :] *= g32
        out[:, 0] = _soft_clip(left)
        out[:, 1] = _soft_clip(right)


def _soft_clip(x: np.ndarray) -> np.ndarray:
    """Per-sample soft limiter above ``_LIMIT`` (in place); keeps everything within [-1, 1]."""
    over = np.flatnonzero(np.abs(x) > _LIMIT)
    if over.size:
        xo = x[over].astype(np.float64)
        knee = 1.0 - _LIMIT
        # float64 tanh: the same result on every CPU (numpy's float32 SIMD kernels can differ by an ulp)
        shaped = _LIMIT + knee * np.tanh((np.abs(xo) - _LIMIT) / knee)
        x[over] = np.copysign(shaped, xo).astype(np.float32)
    return x


def _fit_tempo(bpm: float, duration: float) -> tuple[float, int, int]:
    """(bpm, bars, beats_per_bar) so that whole bars fill ``duration`` exactly."""
    bar_s = 4 * 60.0 / bpm
    bars = max(1, round(duration / bar_s))
    fitted = bars * 4 * 60.0 / duration
    if fitted <= bpm * _MAX_FIT_STRETCH:
        return fitted, bars, 4
    # shorter than a bar: one shortened bar of whole beats
    beats = max(1, min(4, round(duration * bpm / 60.0)))
    return beats * 60.0 / duration, 1, beats


def plan(features: MusicFeatures, duration_s: float, seed: int, sample_rate: int = SAMPLE_RATE,
         fit_bars: bool = False) -> Piece:
    """Plan a piece of ``duration_s`` seconds (``round(duration_s * sample_rate)`` samples).

    Same inputs give the same piece; another seed gives other music. With
    ``fit_bars`` the tempo is adjusted so a whole number of bars fills the
    duration exactly (a piece shorter than a bar gets one shortened bar).
    """
    if not (isinstance(duration_s, (int, float)) and math.isfinite(duration_s) and duration_s >= 0):
        raise ValueError(f"duration must be a finite number >= 0, got {duration_s!r}")
    if sample_rate <= 0:
        raise ValueError("sample_rate must be positive")
    n = int(round(duration_s * sample_rate))
    bpm = features.tempo_bpm
    beats_per_bar = 4
    if n > 0 and fit_bars:
        bpm, bars, beats_per_bar = _fit_tempo(bpm, n / sample_rate)
    step_samples = sample_rate * 60.0 / bpm / STEPS_PER_BEAT
    steps_per_bar = beats_per_bar * STEPS_PER_BEAT
    if not (n > 0 and fit_bars):
        bars = max(1, math.ceil(n / (steps_per_bar * step_samples))) if n > 0 else 0
    total_steps = n / step_samples

    rng = np.random.Generator(np.random.PCG64(_plan_seed(features, duration_s, seed, sample_rate, fit_bars)))
    events = Composer(features, rng, bars, steps_per_bar, total_steps).compose() if n > 0 else []

    starts: list[int] = []
    holds: list[int] = []
    kept = []
    for ev in events:
        s = int(round(ev.step * step_samples))
        if s >= n:
            continue
        starts.append(s)
        holds.append(max(1, int(round(ev.hold * step_samples))))
        kept.append(ev)
    xs = np.asarray(starts, dtype=np.float64) / max(n, 1)
    brights = np.clip(np.rint(features.tone.at_many(xs)) - 1, 0, BRIGHT_LEVELS - 1).astype(int).tolist()

    key_ids: dict[tuple[str, int, int, int, int, int], int] = {}
    wave_keys: list[tuple[str, int, int, int, int, int]] = []
    count = len(kept)
    a_start = np.empty(count, dtype=np.int64)
    a_len = np.empty(count, dtype=np.int64)
    a_wid = np.empty(count, dtype=np.int32)
    a_gain = np.empty(count, dtype=np.float32)
    a_bus = np.empty(count, dtype=np.int8)
    a_vel = np.empty(count, dtype=np.float32)
    gain_of: dict[str, float] = {}
    for i, (ev, s, hold, bright) in enumerate(zip(kept, starts, holds, brights)):
        length = note_length(ev.inst, hold, sample_rate)
        if ev.inst in DRUMS:
            hold = length  # drums ignore note-off; one cache entry per sound whatever the tempo
        key = (ev.inst, ev.pitch, hold, length, bright, ev.variant)
        wid = key_ids.get(key)
        if wid is None:
            wid = key_ids[key] = len(wave_keys)
            wave_keys.append(key)
        g = gain_of.get(ev.inst)
        if g is None:
            g = gain_of[ev.inst] = instrument_gain(ev.inst) * MASTER_GAIN
        a_start[i], a_len[i], a_wid[i] = s, length, wid
        a_gain[i], a_bus[i], a_vel[i] = ev.velocity * g, ev.bus, ev.velocity
    order = np.argsort(a_start, kind="stable")
    return Piece(
        features=features,
        duration_s=float(duration_s),
        seed=seed,
        sample_rate=sample_rate,
        num_samples=n,
        bpm=bpm,
        bars=bars,
        beats_per_bar=beats_per_bar,
        starts=a_start[order],
        lengths=a_len[order],
        wave_ids=a_wid[order],
        gains=a_gain[order],
        buses=a_bus[order],
        velocities=a_vel[order],
        wave_keys=wave_keys,
    )
