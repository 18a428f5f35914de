"""Decode audio the way a user's tools do: the ffmpeg binary, and soundfile."""

from __future__ import annotations

import io
import subprocess
import tempfile

import imageio_ffmpeg
import numpy as np
import soundfile

SAMPLE_RATE = 44100
ONE_MS = SAMPLE_RATE // 1000  # 44 samples


def ffmpeg_decode(data: bytes, suffix: str = ".mp3") -> np.ndarray:
    """Decode a whole file with ffmpeg to float samples, shape (n, 2)."""
    with tempfile.NamedTemporaryFile(suffix=suffix) as fh:
        fh.write(data)
        fh.flush()
        out = subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", fh.name,
             "-f", "s16le", "-ac", "2", "-ar", str(SAMPLE_RATE), "pipe:1"],
            capture_output=True, check=True,
        ).stdout
    return np.frombuffer(out, dtype="<i2").reshape(-1, 2).astype(np.float32) / 32768.0


def soundfile_decode(data: bytes) -> tuple[np.ndarray, int]:
    """Decode with soundfile (libsndfile/mpg123)."""
    samples, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return samples, rate


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two equally long signals, mixed to mono: 1.0 for the same
    music at any gain, near 0 for unrelated music."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    x = x.mean(axis=1) if x.ndim == 2 else x
    y = y.mean(axis=1) if y.ndim == 2 else y
    return float(np.corrcoef(x, y)[0, 1])
