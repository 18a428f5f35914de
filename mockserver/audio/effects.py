"""Mixing and mastering on in-memory samples: effects, panning, loudness, limiting.

Arrays are float32, shape (n,) for mono or (n, channels); every effect keeps the shape and
the length. Filters work in the frequency domain (zero phase, no scipy needed); loudness is
ITU-R BS.1770 integrated loudness measured by pyloudnorm. Everything is deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

_PAD_SECONDS = 0.5  # zero padding that keeps FFT filters' tails from wrapping around
_CONV_BLOCK = 1 << 16  # samples per overlap-add block of the reverb convolution
_TP_BLOCK, _TP_MARGIN = 1 << 13, 256  # true-peak oversampling block and overlap
_LIMIT_BLOCK = 32  # samples per gain step of the limiter
MIN_LOUDNESS_SECONDS = 0.4  # one BS.1770 gating block


def _fast_len(n: int) -> int:
    """The smallest 2^a 3^b 5^c >= n (FFT sizes numpy transforms quickly)."""
    best = 1 << max(0, (n - 1).bit_length())
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            p = p35
            while p < n:
                p *= 2
            best = min(best, p)
            p35 *= 3
        p5 *= 5
    return best


def _f32(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float32)


def db_to_gain(db: float) -> float:
    """Decibels to a linear amplitude factor."""
    return float(10.0 ** (db / 20.0))


def gain(x: np.ndarray, db: float) -> np.ndarray:
    """``x`` louder (positive ``db``) or quieter."""
    return _f32(x * np.float32(db_to_gain(db)))


def _ramp(m: int) -> np.ndarray:
    return (np.arange(m, dtype=np.float32) / np.float32(max(m, 1)))


def fade_in(x: np.ndarray, sample_rate: int, seconds: float) -> np.ndarray:
    """A linear fade from silence over the first ``seconds``."""
    y = _f32(x).copy()
    m = min(len(y), round(seconds * sample_rate))
    y[:m] *= _ramp(m).reshape((m,) + (1,) * (y.ndim - 1))
    return y


def fade_out(x: np.ndarray, sample_rate: int, seconds: float) -> np.ndarray:
    """A linear fade to silence over the last ``seconds`` (the last sample is silent)."""
    y = _f32(x).copy()
    m = min(len(y), round(seconds * sample_rate))
    if m:
        y[len(y) - m:] *= _ramp(m)[::-1].reshape((m,) + (1,) * (y.ndim - 1))
    return y


def _spectral_filter(x: np.ndarray, sample_rate: int,
                     response: Callable[[np.ndarray], np.ndarray],
                     wrap: bool = False) -> np.ndarray:
    """Multiply the spectrum of ``x`` by ``response(frequencies_hz)``: zero padded, or, with
    ``wrap``, over exactly ``len(x)`` samples (the tail wraps around to the start)."""
    x = _f32(x)
    n = len(x)
    if n == 0:
        return x.copy()
    size = n if wrap else _fast_len(n + int(_PAD_SECONDS * sample_rate))
    spectrum = np.fft.rfft(x, size, axis=0)
    h = response(np.fft.rfftfreq(size, 1.0 / sample_rate))
    spectrum *= h.reshape((-1,) + (1,) * (x.ndim - 1))
    return _f32(np.fft.irfft(spectrum, size, axis=0)[:n])


def lowpass(x: np.ndarray, sample_rate: int, cutoff_hz: float, order: int = 2,
            wrap: bool = False) -> np.ndarray:
    """Butterworth-magnitude low-pass (-3 dB at ``cutoff_hz``, 6·order dB/octave), zero phase.

    ``wrap``: filter the whole array as one period, without zero padding (cheaper; the
    smoothing at the end reaches back to the start), as Soundpiece colours a remix source.
    """
    if cutoff_hz <= 0:
        raise ValueError("cutoff_hz must be positive")
    return _spectral_filter(x, sample_rate,
                            lambda f: 1.0 / np.sqrt(1.0 + (f / cutoff_hz) ** (2 * order)), wrap)


def highpass(x: np.ndarray, sample_rate: int, cutoff_hz: float, order: int = 2) -> np.ndarray:
    """Butterworth-magnitude high-pass (-3 dB at ``cutoff_hz``), zero phase; removes DC."""
    if cutoff_hz <= 0:
        raise ValueError("cutoff_hz must be positive")

    def response(f: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            ratio = np.where(f > 0, cutoff_hz / np.maximum(f, 1e-12), np.inf)
        return 1.0 / np.sqrt(1.0 + ratio ** (2 * order))

    return _spectral_filter(x, sample_rate, response)


def compress(x: np.ndarray, sample_rate: int, threshold_db: float = -18.0, ratio: float = 4.0,
             attack_ms: float = 10.0, release_ms: float = 120.0,
             makeup_db: float = 0.0) -> np.ndarray:
    """A feed-forward RMS compressor, channels linked: above ``threshold_db`` the level
    rises 1/``ratio`` as fast; gain changes follow the attack and release times."""
    if ratio < 1:
        raise ValueError("ratio must be >= 1")
    y = _f32(x)
    n = len(y)
    if n == 0:
        return y.copy()
    hop = max(1, sample_rate // 500)  # 2 ms frames
    frames = -(-n // hop)
    power = np.zeros(frames * hop, dtype=np.float64)
    power[:n] = np.square(y, dtype=np.float64).reshape(n, -1).mean(axis=1)
    level_db = 10.0 * np.log10(np.maximum(power.reshape(frames, hop).mean(axis=1), 1e-12))
    wanted = np.maximum(level_db - threshold_db, 0.0) * (1.0 - 1.0 / ratio)
    attack = math.exp(-hop / (sample_rate * max(attack_ms, 1e-3) / 1000.0))
    release = math.exp(-hop / (sample_rate * max(release_ms, 1e-3) / 1000.0))
    reduction = np.empty(frames)
    current = 0.0
    for i, target in enumerate(wanted.tolist()):
        coeff = attack if target > current else release
        current = coeff * current + (1.0 - coeff) * target
        reduction[i] = current
    centres = np.arange(frames) * hop + (hop - 1) / 2.0
    gain_db = makeup_db - np.interp(np.arange(n), centres, reduction)
    g = np.power(10.0, gain_db / 20.0).astype(np.float32)
    return _f32(y * g.reshape((n,) + (1,) * (y.ndim - 1)))


def _impulse_response(sample_rate: int, seconds: float, predelay_ms: float,
                      seed: int) -> np.ndarray:
    """Exponentially decaying noise (-60 dB after ``seconds``), unit energy."""
    length = max(1, int(seconds * sample_rate))
    rng = np.random.default_rng(seed)
    t = np.arange(length) / sample_rate
    ir = rng.standard_normal(length) * np.exp(-6.907755 * t / seconds)
    ir = np.concatenate([np.zeros(int(predelay_ms * sample_rate / 1000.0)), ir])
    return ir / math.sqrt(float(np.sum(ir * ir)))


def _convolve(signal: np.ndarray, ir: np.ndarray) -> np.ndarray:
    """``signal`` convolved with ``ir``, truncated to ``len(signal)`` (overlap-add)."""
    n, m = len(signal), len(ir)
    size = _fast_len(_CONV_BLOCK + m - 1)
    ir_spectrum = np.fft.rfft(ir, size)
    out = np.zeros(n + size, dtype=np.float64)
    for start in range(0, n, _CONV_BLOCK):
        block = signal[start:start + _CONV_BLOCK]
        out[start:start + size] += np.fft.irfft(np.fft.rfft(block, size) * ir_spectrum, size)
    return out[:n]


def reverb(x: np.ndarray, sample_rate: int, room_size: float = 0.5, wet: float = 0.25,
           decay_seconds: float | None = None, predelay_ms: float = 12.0,
           seed: int = 7) -> np.ndarray:
    """Convolution reverb with a synthetic room: ``room_size`` 0..1 sets the decay time
    (0.3-3 s unless ``decay_seconds``), ``wet`` 0..1 the share of reverberant sound.
    Each channel gets its own (deterministic) impulse response; the length is kept."""
    if not 0.0 <= wet <= 1.0:
        raise ValueError("wet must be between 0 and 1")
    y = _f32(x)
    seconds = decay_seconds if decay_seconds is not None else 0.3 + 2.7 * min(max(room_size, 0), 1)
    if seconds <= 0:
        raise ValueError("decay_seconds must be positive")
    columns = y.reshape(len(y), -1)
    out = np.empty(columns.shape, dtype=np.float32)
    for c in range(columns.shape[1]):
        ir = _impulse_response(sample_rate, seconds, predelay_ms, seed + c)
        tail = _convolve(columns[:, c].astype(np.float64), ir)
        out[:, c] = (1.0 - wet) * columns[:, c] + wet * tail
    return out.reshape(y.shape)


def pan(mono: np.ndarray, position: float) -> np.ndarray:
    """A mono signal placed in a stereo field, -1 (left) .. 1 (right), equal power."""
    if not -1.0 <= position <= 1.0:
        raise ValueError("pan position must be between -1 and 1")
    theta = (position + 1.0) * math.pi / 4.0
    x = _f32(mono).reshape(-1)
    return np.stack([x * np.float32(math.cos(theta)), x * np.float32(math.sin(theta))], axis=1)


def balance(stereo: np.ndarray, position: float) -> np.ndarray:
    """A stereo signal leaned left (-1) or right (1) by turning the other side down."""
    if not -1.0 <= position <= 1.0:
        raise ValueError("pan position must be between -1 and 1")
    gains = np.array([min(1.0, 1.0 - position), min(1.0, 1.0 + position)], dtype=np.float32)
    return _f32(stereo) * gains


def mix(tracks: Sequence[np.ndarray], levels: Sequence[float] | None = None,
        pans: Sequence[float] | None = None) -> np.ndarray:
    """Stereo sum of tracks (mono ones panned, stereo ones balanced), each scaled by its
    linear level; shorter tracks are padded with silence."""
    if not tracks:
        raise ValueError("nothing to mix")
    levels = list(levels) if levels is not None else [1.0] * len(tracks)
    pans = list(pans) if pans is not None else [0.0] * len(tracks)
    if not len(levels) == len(pans) == len(tracks):
        raise ValueError("one level and one pan position per track")
    out = np.zeros((max(len(t) for t in tracks), 2), dtype=np.float32)
    for track, level, position in zip(tracks, levels, pans):
        t = _f32(track)
        placed = pan(t, position) if t.ndim == 1 or t.shape[1] == 1 else balance(t, position)
        out[:len(placed)] += placed * np.float32(level)
    return out


def loudness(x: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness in LUFS (ITU-R BS.1770-4, via pyloudnorm); -inf for silence."""
    import pyloudnorm  # here: only mastering needs it (and the scipy it imports)

    if len(x) < MIN_LOUDNESS_SECONDS * sample_rate:
        raise ValueError(f"loudness needs at least {MIN_LOUDNESS_SECONDS} s of audio")
    return float(pyloudnorm.Meter(sample_rate).integrated_loudness(np.asarray(x, np.float64)))


def sample_peak(x: np.ndarray) -> float:
    """Largest absolute sample value."""
    return float(np.max(np.abs(x), initial=0.0))


def true_peak(x: np.ndarray, oversample: int = 4) -> float:
    """Largest absolute value of the signal between samples too (``oversample``× band-limited
    interpolation, done block by block with overlapping margins)."""
    columns = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    n = len(columns)
    best = sample_peak(columns)
    size = _TP_BLOCK + 2 * _TP_MARGIN
    for c in range(columns.shape[1]):
        padded = np.concatenate([np.zeros(_TP_MARGIN), columns[:, c], np.zeros(size)])
        for start in range(0, n, _TP_BLOCK):
            segment = padded[start:start + size]
            up = np.fft.irfft(np.fft.rfft(segment), size * oversample) * oversample
            middle = up[_TP_MARGIN * oversample:(_TP_MARGIN + _TP_BLOCK) * oversample]
            best = max(best, float(np.max(np.abs(middle))))
    return best


def limit(x: np.ndarray, sample_rate: int, ceiling: float, release_ms: float = 60.0) -> np.ndarray:
    """A look-ahead peak limiter: no sample exceeds ``ceiling``; gain drops a block before a
    peak and recovers over ``release_ms``."""
    y = _f32(x)
    n = len(y)
    if n == 0:
        return y.copy()
    blocks = -(-n // _LIMIT_BLOCK)
    peaks = np.zeros(blocks * _LIMIT_BLOCK, dtype=np.float32)
    peaks[:n] = np.abs(y).reshape(n, -1).max(axis=1)
    block_peak = peaks.reshape(blocks, _LIMIT_BLOCK).max(axis=1).astype(np.float64)
    needed = np.minimum(1.0, ceiling / np.maximum(block_peak, 1e-12))
    ahead = needed.copy()  # each block also takes its neighbours' gain: the look-ahead
    ahead[1:] = np.minimum(ahead[1:], needed[:-1])
    ahead[:-1] = np.minimum(ahead[:-1], needed[1:])
    step = _LIMIT_BLOCK / (sample_rate * max(release_ms, 1e-3) / 1000.0)
    smooth = np.empty(blocks)
    current = 1.0
    for i, g in enumerate(ahead.tolist()):
        current = min(g, current + step)
        smooth[i] = current
    centres = np.arange(blocks) * _LIMIT_BLOCK + (_LIMIT_BLOCK - 1) / 2.0
    g = np.interp(np.arange(n), centres, smooth).astype(np.float32)
    out = y * g.reshape((n,) + (1,) * (y.ndim - 1))
    # float32 rounding may leave a sample a hair over the ceiling
    return np.clip(out, -ceiling, ceiling).astype(np.float32)


def master(x: np.ndarray, sample_rate: int, target_lufs: float = -14.0,
           headroom_db: float = 1.0, tolerance_lu: float = 0.1) -> np.ndarray:
    """Gain and peak limiting so the integrated loudness is ``target_lufs`` (within
    ``tolerance_lu`` when reachable) and true and sample peaks stay ``headroom_db`` below
    full scale. Raises ValueError for silence or audio shorter than 0.4 s."""
    if headroom_db < 0:
        raise ValueError("headroom_db must be >= 0")
    ceiling = db_to_gain(-headroom_db - 0.05)  # a small margin for other true-peak meters
    start = loudness(x, sample_rate)
    if not math.isfinite(start):
        raise ValueError("cannot master silence")
    boost = target_lufs - start
    sample_ceiling = ceiling
    y = _f32(x)
    for _ in range(12):
        y = limit(gain(x, boost), sample_rate, sample_ceiling)
        peak = true_peak(y)
        if peak > ceiling:  # inter-sample peaks: limit the samples harder
            sample_ceiling *= ceiling / peak * 0.999
            continue
        error = target_lufs - loudness(y, sample_rate)
        if abs(error) <= tolerance_lu:
            return y
        boost += error
    peak = true_peak(y)
    return gain(y, 20 * math.log10(ceiling / peak)) if peak > ceiling else y


EffectSpec = Mapping[str, Any] | str | tuple[str, Mapping[str, Any]]

EFFECTS: dict[str, Callable[..., np.ndarray]] = {
    "gain": lambda x, sr, db=0.0: gain(x, db),
    "fade_in": lambda x, sr, seconds=1.0: fade_in(x, sr, seconds),
    "fade_out": lambda x, sr, seconds=1.0: fade_out(x, sr, seconds),
    "lowpass": lambda x, sr, cutoff_hz=8000.0, order=2: lowpass(x, sr, cutoff_hz, order),
    "highpass": lambda x, sr, cutoff_hz=80.0, order=2: highpass(x, sr, cutoff_hz, order),
    "compressor": lambda x, sr, **kw: compress(x, sr, **kw),
    "reverb": lambda x, sr, **kw: reverb(x, sr, **kw),
    "limiter": lambda x, sr, ceiling_db=-1.0, release_ms=60.0: limit(
        x, sr, db_to_gain(ceiling_db), release_ms),
}
EFFECTS["compression"] = EFFECTS["compressor"]
EFFECTS["low_pass"] = EFFECTS["lowpass"]
EFFECTS["high_pass"] = EFFECTS["highpass"]


def effect_spec(spec: EffectSpec) -> tuple[str, dict[str, Any]]:
    """``"reverb"``, ``("reverb", {...})`` or ``{"type": "reverb", ...}`` as (name, params)."""
    if isinstance(spec, str):
        name, params = spec, {}
    elif isinstance(spec, tuple) and len(spec) == 2:
        name, params = spec[0], dict(spec[1])
    elif isinstance(spec, Mapping) and "type" in spec:
        params = dict(spec)
        name = params.pop("type")
    else:
        raise ValueError(f"an effect is a name, (name, params) or {{'type': name, ...}},"
                         f" not {spec!r}")
    if name not in EFFECTS:
        raise ValueError(f"unknown effect {name!r}; known: {', '.join(sorted(EFFECTS))}")
    return name, params


def apply_chain(x: np.ndarray, sample_rate: int, chain: Iterable[EffectSpec]) -> np.ndarray:
    """Run ``x`` through the effects in order (see ``EFFECTS`` for names and parameters)."""
    y = _f32(x)
    for spec in chain:
        name, params = effect_spec(spec)
        try:
            y = EFFECTS[name](y, sample_rate, **params)
        except TypeError as exc:  # an unknown parameter name
            raise ValueError(f"effect {name!r}: {exc}") from None
    return y
