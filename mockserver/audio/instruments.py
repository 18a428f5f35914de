"""Note and drum waveforms for the synthesizer.

Each waveform is a pure function of its key (instrument, pitch, lengths,
brightness, sample rate), so caching never changes the output. Tonal notes are
built in two cached stages: a per-(instrument, pitch, brightness) *base* tone
(band-limited wavetables read by a 32-bit phase accumulator, decaying layers,
detune, vibrato, drive) and a per-(instrument, hold, length) amplitude
envelope; a note is the product of the two, so different note lengths of the
same pitch cost one multiplication.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mockserver.audio.cache import ByteCache

TABLE_BITS = 11
TABLE_SIZE = 1 << TABLE_BITS
_SHIFT = np.uint32(32 - TABLE_BITS)
BRIGHT_LEVELS = 10  # brightness buckets 0..9 (tone 1..10)

#: Process-wide caches (bounded; outputs never depend on them): finished note waveforms, and the
#: parts they are made from (wavetables, base tones, envelopes, drum samples).
WAVE_CACHE: ByteCache[np.ndarray] = ByteCache(48 * 1024 * 1024, sizeof=lambda a: a.nbytes)
PART_CACHE: ByteCache[np.ndarray] = ByteCache(24 * 1024 * 1024, sizeof=lambda a: a.nbytes)

_grow_lock = threading.Lock()
_ramp_u32 = np.arange(1 << 16, dtype=np.uint32)
_ramp_f32 = np.arange(1 << 16, dtype=np.float32)


def _ramp(n: int) -> np.ndarray:
    global _ramp_u32
    if n > len(_ramp_u32):
        with _grow_lock:
            if n > len(_ramp_u32):
                _ramp_u32 = np.arange(1 << max(16, (n - 1).bit_length()), dtype=np.uint32)
    return _ramp_u32[:n]


def _seconds(n: int, sr: int) -> np.ndarray:
    """Time in seconds of samples 0..n-1 (float32)."""
    global _ramp_f32
    if n > len(_ramp_f32):
        with _grow_lock:
            if n > len(_ramp_f32):
                _ramp_f32 = np.arange(1 << max(16, (n - 1).bit_length()), dtype=np.float32)
    return _ramp_f32[:n] * np.float32(1.0 / sr)


def midi_hz(pitch: float) -> float:
    """Frequency of a MIDI pitch."""
    return 440.0 * 2.0 ** ((pitch - 69.0) / 12.0)


def cutoff_hz(bright: int) -> float:
    """Low-pass cutoff for a brightness bucket 0..9 (about 500 Hz .. 16 kHz)."""
    return 500.0 * 32.0 ** (bright / (BRIGHT_LEVELS - 1))


def _cached(key: tuple, factory: Callable[[], np.ndarray], cache: ByteCache[np.ndarray] | None = None
            ) -> np.ndarray:
    def make() -> np.ndarray:
        arr = factory()
        arr.flags.writeable = False
        return arr

    return (PART_CACHE if cache is None else cache).get_or_create(key, make)


def clear_caches() -> None:
    """Empty the waveform caches (outputs do not change; only speed does)."""
    WAVE_CACHE.clear()
    PART_CACHE.clear()


# ---------------------------------------------------------------- wavetables

def _profile(name: str, k: np.ndarray) -> np.ndarray:
    """Harmonic amplitudes (k = 1, 2, ...) of a named spectrum."""
    if name == "sine":
        return (k == 1).astype(np.float64)
    if name == "saw":
        return 1.0 / k
    if name == "square":
        return np.where(k % 2 == 1, 1.0 / k, 0.04 / k)
    if name == "triangle":
        return np.where(k % 2 == 1, 1.0 / (k * k), 0.0)
    if name == "sub":
        return np.where(k == 1, 1.0, np.where(k == 2, 0.18, 0.0))
    if name == "flute":
        flute = np.array([0.0, 1.0, 0.35, 0.12, 0.06, 0.03, 0.015])
        return np.where(k <= 6, flute[np.minimum(k, 6).astype(np.intp)], 0.0)
    if name == "reed":
        return np.where(k % 2 == 1, 1.0 / k, 0.25 / k) * np.exp(-k / 12.0)
    if name.startswith("pluck"):
        # string plucked at fraction beta of its length: comb-shaped spectrum
        beta = int(name[5:]) / 100.0
        return np.abs(np.sin(np.pi * k * beta)) / (k * math.sin(math.pi * beta))
    if name == "piano":
        return np.abs(np.sin(np.pi * k / 7.0)) / (k ** 1.1 * math.sin(math.pi / 7.0))
    if name == "warm":
        return 1.0 / (k * k) * np.where(k % 2 == 1, 1.0, 0.5)
    raise ValueError(f"unknown spectrum {name!r}")


_BAND = 3  # semitones sharing one wavetable and one set of decay times


def _band_hz(pitch: int, top: bool = False) -> float:
    """Centre (or top) frequency of the pitch band ``pitch`` belongs to."""
    lo = pitch - pitch % _BAND
    return midi_hz(lo + (_BAND - 1 if top else (_BAND - 1) / 2))


def _table(profile: str, pitch: int, bright: int, bias: float, sr: int) -> np.ndarray:
    """One band-limited cycle of ``profile`` for notes in ``pitch``'s band."""
    band = pitch - pitch % _BAND

    def make() -> np.ndarray:
        # harmonics limited for the band's highest note (no aliasing), colour from its centre
        nmax = min(TABLE_SIZE // 2 - 1, max(1, int(0.45 * sr / _band_hz(band, top=True))))
        k = np.arange(1, nmax + 1, dtype=np.float64)
        fc = cutoff_hz(bright) * 2.0**bias
        amps = _profile(profile, k) / np.sqrt(1.0 + (k * _band_hz(band) / fc) ** 4)
        spec = np.zeros(TABLE_SIZE // 2 + 1, dtype=np.complex128)
        spec[1 : nmax + 1] = -1j * amps * (TABLE_SIZE / 2)
        return np.fft.irfft(spec, TABLE_SIZE).astype(np.float32)

    return _cached(("table", profile, band, bright, bias, sr), make)


_SINE = np.sin(np.arange(TABLE_SIZE) * (2 * np.pi / TABLE_SIZE)).astype(np.float32)


def _phase_index(freq: float, n: int, sr: int, phase0: int = 0, vibrato: tuple[float, float] | None = None
                 ) -> np.ndarray:
    """Wavetable indices of a 32-bit phase accumulator (optionally with vibrato)."""
    inc = int(round(freq / sr * 2.0**32)) & 0xFFFFFFFF
    if vibrato is None or vibrato[1] <= 0.0:
        acc = _ramp(n) * np.uint32(inc) + np.uint32(phase0)
    else:
        rate, cents = vibrato
        t = _seconds(n, sr)
        depth = np.float32(2.0 ** (cents / 1200.0) - 1.0)
        fade = np.minimum(t * np.float32(2.5), np.float32(1.0))  # vibrato fades in
        mod = np.float32(1.0) + depth * fade * _osc(rate, n, sr)
        incs = (mod * np.float32(inc)).astype(np.uint32)
        acc = np.cumsum(incs, dtype=np.uint32) + np.uint32(phase0)
    return (acc >> _SHIFT).astype(np.intp)


def _osc(freq: float, n: int, sr: int, phase0: int = 0) -> np.ndarray:
    """A sine wave read from the sine table (integer phase: identical on every CPU)."""
    return _SINE[_phase_index(freq, n, sr, phase0)]


def _decay(n: int, sr: int, tau: float) -> np.ndarray:
    """exp(-t / tau) for n samples."""

    def make() -> np.ndarray:
        # exp of one 1024-sample block times per-block factors: one multiply per sample instead of an exp
        blk = 1024
        nb = -(-n // blk)
        k = np.float64(-1.0 / (tau * sr))
        head = np.exp(np.arange(blk, dtype=np.float64) * k).astype(np.float32)
        steps = np.exp(np.arange(nb, dtype=np.float64) * (k * blk)).astype(np.float32)
        return (steps[:, None] * head[None, :]).reshape(-1)[:n]

    return _cached(("decay", n, round(tau, 6), sr), make)


def _noise(n: int, seed: int) -> np.ndarray:
    """Deterministic white noise in [-1, 1)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    return rng.random(n, dtype=np.float32) * np.float32(2.0) - np.float32(1.0)


def _highpass(x: np.ndarray, times: int = 1) -> np.ndarray:
    for _ in range(times):
        x = np.diff(x, prepend=np.float32(0.0)) * np.float32(0.5)
    return x


def _lowpass(x: np.ndarray, width: int) -> np.ndarray:
    """Moving-average low-pass (no delay compensation needed for noise)."""
    if width <= 1:
        return x
    cs = np.cumsum(x, dtype=np.float64)
    out = np.empty_like(x)
    out[:width] = cs[:width] / width
    out[width:] = (cs[width:] - cs[:-width]) / width
    return out


def _darken(x: np.ndarray, bright: int, strength: float = 0.65) -> np.ndarray:
    """Low-pass noise more for darker tone settings (moving average of 1..7 samples)."""
    return _lowpass(x, 1 + int(round((BRIGHT_LEVELS - 1 - bright) * strength)))


# ------------------------------------------------------------ instrument specs

@dataclass(frozen=True)
class Tonal:
    """A harmonic instrument: wavetable layers with their own decay times."""

    layers: tuple[tuple[str, float, float], ...]  # (spectrum, level, decay seconds; 0 = sustained)
    attack: float = 0.005
    release: float = 0.15
    detune: float = 0.0  # cents of a second, detuned voice (chorus)
    vibrato: float = 0.0  # cents
    vib_rate: float = 5.5
    noise: float = 0.0  # level of a short noise transient (pick, hammer, breath)
    noise_decay: float = 0.01
    drive: float = 0.0  # tanh saturation amount
    decay: float = 0.0  # overall amplitude decay time constant (0 = none)
    max_len: float = 0.0  # natural length in seconds for decaying sounds (0 = held as long as played)
    bias: float = 0.0  # octaves added to the brightness cutoff
    gain: float = 1.0


@dataclass(frozen=True)
class Partials:
    """An inharmonic instrument (bells, mallets): sine partials with decays."""

    ratios: tuple[float, ...]
    amps: tuple[float, ...]
    decays: tuple[float, ...]
    attack: float = 0.002
    release: float = 0.3
    noise: float = 0.0
    noise_decay: float = 0.01
    max_len: float = 2.0
    gain: float = 1.0


@dataclass(frozen=True)
class Drum:
    """An unpitched (or fixed-pitch) percussion sound."""

    render: Callable[[int, int, int], np.ndarray]  # (bright, variant, sr) -> samples
    length: float
    variants: int = 1
    gain: float = 1.0


def _kick(f0: float, f1: float, tau: float, dec: float, click: float, drive: float = 0.0
          ) -> Callable[[int, int, int], np.ndarray]:
    def render(bright: int, variant: int, sr: int) -> np.ndarray:
        n = int(dec * 6 * sr)
        t = _seconds(n, sr).astype(np.float64)
        phase = 2 * np.pi * (f1 * t + (f0 - f1) * tau * (1.0 - np.exp(-t / tau)))
        x = (np.sin(phase) * np.exp(-t / dec)).astype(np.float32)
        if drive:
            x = (np.tanh(x.astype(np.float64) * drive) / math.tanh(drive)).astype(np.float32)
        m = int(0.004 * sr)
        c = _lowpass(_noise(m, 11 + variant), 3) * np.float32(click * (0.5 + 0.5 * bright / 9))
        x[:m] += c * np.linspace(1, 0, m, dtype=np.float32)
        return x

    return render


def _snare(tone_hz: float, dec: float, noise_level: float, snappy: float
           ) -> Callable[[int, int, int], np.ndarray]:
    def render(bright: int, variant: int, sr: int) -> np.ndarray:
        n = int(dec * 6 * sr)
        body = (_osc(tone_hz, n, sr) + np.float32(0.5) * _osc(tone_hz * 1.78, n, sr)) * _decay(n, sr, 0.06)
        nz = _lowpass(_noise(n, 21 + variant), 2)
        hp = _highpass(nz, 1)
        b = bright / 9.0
        nz = _darken(nz * np.float32(1.0 - 0.3 * snappy) + hp * np.float32(snappy * (0.4 + 0.8 * b)), bright)
        x = body * np.float32(0.6) + nz * _decay(n, sr, dec) * np.float32(noise_level)
        return x.astype(np.float32)

    return render


def _metal(dec: float, hp: int, level: float, ring: float, attack: float = 0.0
           ) -> Callable[[int, int, int], np.ndarray]:
    """Cymbals, hats and shakers: high-passed noise plus a metallic cluster."""

    def render(bright: int, variant: int, sr: int) -> np.ndarray:
        n = int(max(dec * 5, 0.05) * sr)
        t = _seconds(n, sr)
        nz = _noise(n, 31 + 7 * variant + hp)
        b = bright / 9.0
        x = _highpass(nz, hp) * np.float32(0.5 + 1.0 * b) + _lowpass(nz, 3) * np.float32(0.1 * (1 - b))
        if ring:
            cl = np.zeros(n, dtype=np.float32)
            for f in (3140.0, 4420.0, 5380.0, 6930.0, 8120.0):
                cl += np.sign(_osc(f * (1 + 0.01 * variant), n, sr))
            x = x + _highpass(cl, 2) * np.float32(ring * (0.3 + 0.7 * b))
        x = _darken(x, bright, 0.35) * np.float32(1.0 + 0.12 * (9 - bright))
        env = _decay(n, sr, dec)
        if attack:
            env = env * np.minimum(t * np.float32(1 / attack), np.float32(1.0))
        return (x * env * np.float32(level)).astype(np.float32)

    return render


def _clap(bright: int, variant: int, sr: int) -> np.ndarray:
    n = int(0.35 * sr)
    nz = _noise(n, 41 + variant)
    bp = _darken(_highpass(_lowpass(nz, 6), 1), bright) * np.float32(3.0)
    env = _decay(n, sr, 0.09) * np.float32(0.6)
    for k, off in enumerate((0.0, 0.011, 0.022)):
        s = int(off * sr)
        env[s:] += _decay(n - s, sr, 0.004) * np.float32(1.0 - 0.15 * k)
    return (bp * env * np.float32(0.8 + 0.4 * bright / 9)).astype(np.float32)


def _tone_hit(freq: float, dec: float, drop: float, slap: float) -> Callable[[int, int, int], np.ndarray]:
    """Congas, claves, rims: a decaying sine with a small pitch drop and a slap."""

    def render(bright: int, variant: int, sr: int) -> np.ndarray:
        n = int(dec * 6 * sr)
        t = _seconds(n, sr).astype(np.float64)
        tau = 0.02
        phase = 2 * np.pi * (freq * t + freq * drop * tau * (1 - np.exp(-t / tau)))
        x = (np.sin(phase) * np.exp(-t / dec)).astype(np.float32)
        m = min(n, int(0.006 * sr))
        x[:m] += _highpass(_noise(m, 51 + variant), 1) * np.float32(slap * (0.5 + bright / 9))
        return x

    return render


TONAL: dict[str, Tonal] = {
    "piano": Tonal((("piano", 0.7, 0.35), ("warm", 1.0, 3.0)), attack=0.002, release=0.25, detune=3.0,
                   noise=0.08, noise_decay=0.004, max_len=3.0, gain=0.8),
    "guitar": Tonal((("pluck18", 1.0, 0.3), ("pluck30", 0.8, 1.6)), attack=0.002, release=0.12,
                    noise=0.12, noise_decay=0.003, max_len=2.2, gain=0.35),
    "nylon": Tonal((("pluck25", 0.8, 0.25), ("warm", 1.0, 1.3)), attack=0.003, release=0.12,
                   noise=0.06, noise_decay=0.004, max_len=1.8, bias=-0.5, gain=0.4),
    "drive_guitar": Tonal((("saw", 1.0, 0.0), ("square", 0.4, 0.0)), attack=0.004, release=0.08,
                          drive=3.0, decay=2.5, detune=6.0, bias=-0.7, gain=0.42),
    "saw_pad": Tonal((("saw", 1.0, 0.0),), attack=0.08, release=0.45, detune=11.0, bias=-0.6, gain=0.3),
    "warm_pad": Tonal((("warm", 1.0, 0.0), ("saw", 0.15, 0.0)), attack=0.5, release=1.4, detune=7.0,
                      vibrato=6.0, vib_rate=0.4, gain=0.38),
    "strings": Tonal((("saw", 1.0, 0.0),), attack=0.18, release=0.4, detune=6.0, vibrato=10.0,
                     bias=-0.8, gain=0.3),
    "synth_bass": Tonal((("saw", 1.0, 0.12), ("warm", 1.2, 0.0)), attack=0.003, release=0.06,
                        bias=-1.0, gain=0.38),
    "sub_bass": Tonal((("sub", 1.0, 0.0),), attack=0.01, release=0.15, gain=0.55),
    "upright": Tonal((("pluck30", 0.6, 0.1), ("warm", 1.0, 1.2)), attack=0.004, release=0.08,
                     noise=0.05, noise_decay=0.004, max_len=1.6, gain=0.55),
    "pick_bass": Tonal((("pluck20", 0.9, 0.25), ("warm", 1.0, 1.6)), attack=0.002, release=0.07,
                       noise=0.06, noise_decay=0.002, max_len=2.0, gain=0.35),
    "cello": Tonal((("saw", 1.0, 0.0),), attack=0.07, release=0.2, vibrato=9.0, bias=-1.2, gain=0.45),
    "square_lead": Tonal((("square", 1.0, 0.0),), attack=0.008, release=0.1, vibrato=14.0, bias=-0.3,
                         gain=0.45),
    "flute": Tonal((("flute", 1.0, 0.0),), attack=0.05, release=0.12, vibrato=16.0, noise=0.04,
                   noise_decay=0.05, gain=0.5),
    "drive_lead": Tonal((("saw", 1.0, 0.0),), attack=0.006, release=0.1, drive=2.5, vibrato=22.0,
                        bias=-0.5, gain=0.45),
    "synth_pluck": Tonal((("saw", 1.0, 0.07), ("square", 0.35, 0.25)), attack=0.002, release=0.05,
                         max_len=0.8, gain=0.45),
    "reed": Tonal((("reed", 1.0, 0.0),), attack=0.03, release=0.1, vibrato=8.0, gain=0.45),
}

PARTIALS: dict[str, Partials] = {
    "bell": Partials((1.0, 2.0, 2.76, 5.40, 8.93), (1.0, 0.45, 0.6, 0.25, 0.12), (2.4, 1.5, 1.0, 0.4, 0.2),
                     release=0.8, max_len=3.0, gain=0.55),
    "marimba": Partials((1.0, 3.93, 9.2), (1.0, 0.35, 0.08), (0.45, 0.12, 0.04), noise=0.05,
                        noise_decay=0.003, release=0.1, max_len=1.2, gain=0.9),
    "vibes": Partials((1.0, 4.0, 10.0), (1.0, 0.22, 0.05), (1.6, 0.45, 0.12), release=0.4, max_len=2.5,
                      gain=0.7),
    "epiano": Partials((1.0, 2.0, 3.0, 7.0), (1.0, 0.22, 0.08, 0.2), (2.0, 1.1, 0.6, 0.07), release=0.25,
                       max_len=2.5, gain=0.6),
    "timpani": Partials((1.0, 1.5, 1.99, 2.44), (1.0, 0.55, 0.35, 0.2), (0.9, 0.6, 0.45, 0.3), noise=0.15,
                        noise_decay=0.01, release=0.3, max_len=1.6, gain=0.7),
}

DRUMS: dict[str, Drum] = {
    "kick": Drum(_kick(130.0, 52.0, 0.035, 0.16, 0.35), 0.6, gain=0.9),
    "kick808": Drum(_kick(150.0, 45.0, 0.05, 0.3, 0.25, drive=1.5), 1.0, gain=0.65),
    "kick_soft": Drum(_kick(110.0, 55.0, 0.03, 0.14, 0.1), 0.5, gain=0.85),
    "snare": Drum(_snare(190.0, 0.12, 0.8, 0.7), 0.45, variants=2, gain=1.8),
    "brush": Drum(_metal(0.11, 1, 0.9, 0.0, attack=0.012), 0.5, variants=2, gain=1.2),
    "clap": Drum(_clap, 0.35, variants=2, gain=3.5),
    "rim": Drum(_tone_hit(1750.0, 0.018, 0.2, 0.8), 0.12, gain=0.9),
    "hat": Drum(_metal(0.035, 2, 1.0, 0.25), 0.15, variants=3, gain=1.8),
    "ohat": Drum(_metal(0.22, 2, 1.0, 0.3), 0.9, variants=1, gain=0.8),
    "ride": Drum(_metal(0.45, 2, 0.7, 0.6), 1.8, variants=2, gain=0.8),
    "crash": Drum(_metal(0.7, 1, 0.9, 0.3), 3.0, gain=1.0),
    "shaker": Drum(_metal(0.03, 2, 1.0, 0.0, attack=0.012), 0.15, variants=3, gain=1.5),
    "conga_hi": Drum(_tone_hit(330.0, 0.12, 0.15, 0.5), 0.6, gain=0.7),
    "conga_lo": Drum(_tone_hit(220.0, 0.16, 0.15, 0.4), 0.8, gain=0.75),
    "clave": Drum(_tone_hit(2500.0, 0.03, 0.0, 0.0), 0.2, gain=0.6),
}


def note_length(inst: str, hold: int, sr: int) -> int:
    """Samples a note held for ``hold`` samples sounds, including its release."""
    if inst in DRUMS:
        return int(round(DRUMS[inst].length * sr))
    if inst in PARTIALS:
        spec = PARTIALS[inst]
        return min(hold + int(round(spec.release * sr)), int(round(spec.max_len * sr)))
    tonal = TONAL[inst]
    total = hold + int(round(tonal.release * sr))
    return min(total, int(round(tonal.max_len * sr))) if tonal.max_len else total


def instrument_gain(inst: str) -> float:
    """Mix level of an instrument."""
    for table in (TONAL, PARTIALS, DRUMS):
        if inst in table:
            return table[inst].gain  # type: ignore[attr-defined]
    raise KeyError(inst)


def drum_variants(inst: str) -> int:
    """Number of sample variants a drum has (0 for pitched instruments)."""
    d = DRUMS.get(inst)
    return d.variants if d else 0


# ------------------------------------------------------------------- rendering

_BASE_QUANTUM = 1 << 14  # base tones are made in lengths of whole quanta, so they are shared


def _base_len(n: int) -> int:
    return -(-n // _BASE_QUANTUM) * _BASE_QUANTUM


def _tonal_base(inst: str, pitch: int, bright: int, n: int, sr: int) -> np.ndarray:
    spec = TONAL[inst]
    freq = midi_hz(pitch)

    def make() -> np.ndarray:
        vib = (spec.vib_rate, spec.vibrato) if spec.vibrato else None
        voices = [(freq, 0)]
        if spec.detune:
            voices.append((freq * 2.0 ** (spec.detune / 1200.0), 0x5A5A5A5A))
        x = np.zeros(n, dtype=np.float32)
        # higher notes decay faster (per band, so decay curves are shared)
        pscale = 2.0 ** (-((pitch - pitch % _BAND) - 60) / 24.0)
        for vf, ph in voices:
            idx = _phase_index(vf, n, sr, ph, vib)
            for profile, level, tau in spec.layers:
                layer = _table(profile, pitch, bright, spec.bias, sr)[idx]
                if tau > 0:
                    layer *= _decay(n, sr, tau * pscale)
                layer *= np.float32(level / len(voices))
                x += layer
        if spec.noise:
            m = min(n, int(spec.noise_decay * 8 * sr))
            nz = _highpass(_noise(m, 61 + pitch), 1) * _decay(m, sr, spec.noise_decay)
            x[:m] += nz * np.float32(spec.noise * (0.4 + 0.6 * bright / 9) * 4)
        if spec.drive:
            x = (np.tanh(x.astype(np.float64) * spec.drive) / math.tanh(spec.drive)).astype(np.float32)
        if spec.decay:
            x *= _decay(n, sr, spec.decay)
        return x

    return _cached(("tbase", inst, pitch, bright, n, sr), make)


def _partials_base(inst: str, pitch: int, bright: int, n: int, sr: int) -> np.ndarray:
    spec = PARTIALS[inst]
    freq = midi_hz(pitch)

    def make() -> np.ndarray:
        x = np.zeros(n, dtype=np.float32)
        fc = cutoff_hz(bright) * 2.0
        for ratio, amp, tau in zip(spec.ratios, spec.amps, spec.decays):
            f = freq * ratio
            if f >= 0.45 * sr:
                continue
            a = amp / math.sqrt(1.0 + (f / fc) ** 4)
            m = min(n, int(tau * 7 * sr) + 1)  # beyond ~-60 dB the partial is inaudible
            idx = _phase_index(f, m, sr)
            x[:m] += _SINE[idx] * _decay(m, sr, tau) * np.float32(a)
        if spec.noise:
            m = min(n, int(spec.noise_decay * 8 * sr))
            x[:m] += _highpass(_noise(m, 71 + pitch), 1) * _decay(m, sr, spec.noise_decay) * np.float32(
                spec.noise * 4)
        return x

    return _cached(("pbase", inst, pitch, bright, n, sr), make)


def _envelope(attack: float, release: float, hold: int, n: int, sr: int) -> np.ndarray:
    """Attack ramp, then after ``hold`` samples an exponential release reaching 0 at ``n``."""

    def make() -> np.ndarray:
        env = np.ones(n, dtype=np.float32)
        a = min(n, max(1, int(attack * sr)))
        env[:a] = np.linspace(0.0, 1.0, a, endpoint=False, dtype=np.float32)
        if hold < n:
            r = n - hold
            env[hold:] *= _decay(r, sr, max(1, int(release * sr)) / (6.9 * sr))  # -60 dB at `release`
        f = min(n, 64)
        env[n - f :] *= np.linspace(1.0, 0.0, f, dtype=np.float32)  # exact zero at the end: no clicks
        return env

    return _cached(("env", round(attack, 6), round(release, 6), hold, n, sr), make)


def note_wave(inst: str, pitch: int, hold: int, length: int, bright: int, variant: int, sr: int) -> np.ndarray:
    """Waveform (float32, read-only) of one note or drum hit.

    ``hold`` is the number of samples until note-off, ``length`` the total
    number of samples including the release; drums ignore both but ``length``
    (which must not exceed their natural length), pitched instruments ignore
    ``variant``.
    """
    key = ("note", inst, pitch, hold, length, bright, variant, sr)
    hit = WAVE_CACHE.get(key)
    if hit is not None:
        return hit

    def make() -> np.ndarray:
        if inst in DRUMS:
            d = DRUMS[inst]
            full = _cached(("drum", inst, bright, variant, sr), lambda: d.render(bright, variant, sr))
            out = np.zeros(length, dtype=np.float32)
            m = min(length, len(full))
            out[:m] = full[:m]
            f = min(m, 64)
            out[m - f : m] *= np.linspace(1.0, 0.0, f, dtype=np.float32)
            return out
        if inst in PARTIALS:
            spec = PARTIALS[inst]
            base = _partials_base(inst, pitch, bright, _base_len(length), sr)
            attack, release = spec.attack, spec.release
        else:
            spec_t = TONAL[inst]
            base = _tonal_base(inst, pitch, bright, _base_len(length), sr)
            attack, release = spec_t.attack, spec_t.release
        return base[:length] * _envelope(attack, release, hold, length, sr)

    return _cached(key, make, WAVE_CACHE)
