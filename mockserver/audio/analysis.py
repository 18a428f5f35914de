"""Simple audio measurements (numpy only), used to check that parameters are audible."""

from __future__ import annotations

import numpy as np

FRAME = 1024
HOP = 512


def _mono(samples: np.ndarray) -> np.ndarray:
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=1)
    return x


def _stft_mag(x: np.ndarray, frame: int = FRAME, hop: int = HOP) -> np.ndarray:
    """Magnitude spectrogram (frames, bins) with a Hann window."""
    if len(x) < frame:
        x = np.pad(x, (0, frame - len(x)))
    nframes = 1 + (len(x) - frame) // hop
    idx = np.arange(frame)[None, :] + hop * np.arange(nframes)[:, None]
    win = np.hanning(frame)
    return np.abs(np.fft.rfft(x[idx] * win, axis=1))


def rms(samples: np.ndarray) -> float:
    """Root mean square over all samples and channels."""
    x = np.asarray(samples, dtype=np.float64)
    return float(np.sqrt(np.mean(x * x))) if x.size else 0.0


def spectral_centroid(samples: np.ndarray, sr: int) -> float:
    """Magnitude-weighted mean frequency (Hz) of the whole signal."""
    mag = _stft_mag(_mono(samples))
    freqs = np.fft.rfftfreq(FRAME, 1.0 / sr)
    total = mag.sum()
    return float((mag * freqs[None, :]).sum() / total) if total > 0 else 0.0


def onset_strength(samples: np.ndarray, sr: int) -> np.ndarray:
    """Spectral flux per hop: summed positive change of log magnitude between frames."""
    mag = _stft_mag(_mono(samples))
    logmag = np.log1p(100.0 * mag)
    # the frame before the first one counts as silence, so a sound starting at 0 is an onset
    return np.maximum(np.diff(logmag, axis=0, prepend=0.0), 0.0).sum(axis=1)


def onset_times(samples: np.ndarray, sr: int, min_gap: float = 0.05, delta: float = 0.07) -> np.ndarray:
    """Onset times in seconds: peaks of the spectral flux above a local adaptive threshold."""
    flux = onset_strength(samples, sr)
    if flux.size == 0 or flux.max() <= 0:
        return np.zeros(0)
    flux = flux / flux.max()
    fps = sr / HOP
    w = max(1, int(round(0.1 * fps)))  # +-100 ms neighbourhood for the local mean
    kernel = np.ones(2 * w + 1) / (2 * w + 1)
    local_mean = np.convolve(flux, kernel, mode="same")
    gap = max(1, int(round(min_gap * fps)))
    peaks = []
    last = -gap
    for i in range(len(flux)):
        if (i > 0 and flux[i] < flux[i - 1]) or (i + 1 < len(flux) and flux[i] < flux[i + 1]):
            continue
        lo, hi = max(0, i - 3), min(len(flux), i + 4)
        if flux[i] < flux[lo:hi].max():
            continue
        if flux[i] < local_mean[i] + delta:
            continue
        if i - last < gap:
            continue
        peaks.append(i)
        last = i
    return np.asarray(peaks, dtype=np.float64) * HOP / sr


def onset_rate(samples: np.ndarray, sr: int) -> float:
    """Onsets per second (spectral flux with peak picking)."""
    n = len(samples)
    if n == 0:
        return 0.0
    return float(len(onset_times(samples, sr)) / (n / sr))


def similarity(a: np.ndarray, b: np.ndarray, sr: int, max_lag: float = 0.1) -> float:
    """Peak normalised cross-correlation of two signals (mono mixes) over lags up to
    ``max_lag`` seconds: 1.0 for the same audio (at any level, shifted by a decoder's delay),
    about 0 for unrelated audio. Compared over the shorter signal's length."""
    x, y = _mono(a), _mono(b)
    n = min(len(x), len(y))
    if n == 0:
        return 0.0
    x, y = x[:n] - x[:n].mean(), y[:n] - y[:n].mean()
    energy = float(np.sqrt((x * x).sum() * (y * y).sum()))
    if energy == 0.0:
        return 0.0
    size = 1 << int(np.ceil(np.log2(2 * n)))
    corr = np.fft.irfft(np.fft.rfft(x, size) * np.conj(np.fft.rfft(y, size)), size)
    lag = min(n - 1, int(max_lag * sr))
    window = np.concatenate([corr[: lag + 1], corr[size - lag:]]) if lag else corr[:1]
    return float(np.abs(window).max() / energy)
