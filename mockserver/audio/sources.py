"""Composable timeline sources: anything with ``num_samples`` and ``render``.

Every source renders any sample range independently, as float32 (n, 2), and
renders of adjacent ranges concatenate to the render of their union.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from mockserver.audio.synth import Piece

DEFAULT_CHUNK = 1 << 16
_LOOP_SMOOTH = 256  # samples over which a loop seam's step is smoothed out


@runtime_checkable
class Source(Protocol):
    """A stereo signal of ``num_samples`` samples that renders any range."""

    @property
    def num_samples(self) -> int:
        """Length in samples."""
        ...

    def render(self, start: int, stop: int) -> np.ndarray:
        """Samples ``[start, stop)`` as float32 of shape (stop - start, 2)."""
        ...


def _check(source: Source, start: int, stop: int) -> None:
    if not 0 <= start <= stop <= source.num_samples:
        raise ValueError(f"range [{start}, {stop}) outside 0..{source.num_samples}")


class MusicSource:
    """A planned :class:`~mockserver.audio.synth.Piece` as a source."""

    def __init__(self, piece: Piece) -> None:
        self.piece = piece
        self.num_samples = piece.num_samples

    def render(self, start: int, stop: int) -> np.ndarray:
        """See :meth:`Source.render`."""
        return self.piece.render(start, stop)

    def __repr__(self) -> str:
        return f"MusicSource({self.piece!r})"


class Silence:
    """``n`` samples of digital silence."""

    def __init__(self, n: int) -> None:
        if n < 0:
            raise ValueError("length must be >= 0")
        self.num_samples = n

    def render(self, start: int, stop: int) -> np.ndarray:
        """See :meth:`Source.render`."""
        _check(self, start, stop)
        return np.zeros((stop - start, 2), dtype=np.float32)

    def __repr__(self) -> str:
        return f"Silence({self.num_samples})"


class Samples:
    """Samples held in memory (e.g. decoded audio) as a source; mono becomes stereo."""

    def __init__(self, samples: np.ndarray) -> None:
        x = np.asarray(samples, dtype=np.float32)
        if x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[1] not in (1, 2):
            raise ValueError(f"samples must be (n,), (n, 1) or (n, 2), not {x.shape}")
        self._x = np.repeat(x, 2, axis=1) if x.shape[1] == 1 else x
        self.num_samples = len(self._x)

    def render(self, start: int, stop: int) -> np.ndarray:
        """See :meth:`Source.render`."""
        _check(self, start, stop)
        return self._x[start:stop].copy()

    def __repr__(self) -> str:
        return f"Samples({self.num_samples})"


class Fitted:
    """``source`` fitted to ``n`` samples: truncated, or looped whole when longer.

    The first ``source.num_samples`` samples are always the source's own. At
    each later loop seam the step between the source's last and first sample
    is smoothed out over a few milliseconds, so loops do not click.
    """

    def __init__(self, source: Source, n: int) -> None:
        if n < 0:
            raise ValueError("length must be >= 0")
        self.source = source
        self.num_samples = n
        self._length = source.num_samples
        self._seam: np.ndarray | None = None

    def _seam_step(self) -> np.ndarray:
        if self._seam is None:
            L = self._length
            last = self.source.render(L - 1, L)[0]
            first = self.source.render(0, 1)[0]
            self._seam = (last - first).astype(np.float32)
        return self._seam

    def render(self, start: int, stop: int) -> np.ndarray:
        """See :meth:`Source.render`."""
        _check(self, start, stop)
        L = self._length
        if stop <= L:
            return self.source.render(start, stop)
        out = np.zeros((stop - start, 2), dtype=np.float32)
        if L == 0:
            return out
        smooth = min(_LOOP_SMOOTH, L)
        pos = start
        while pos < stop:
            k, off = divmod(pos, L)
            end = min(stop, (k + 1) * L)
            seg = out[pos - start : end - start]
            seg[:] = self.source.render(off, off + (end - pos))
            if k >= 1 and off < smooth:
                # ramp the seam's step from full to zero over the first samples of each repeat
                m = min(smooth, off + (end - pos)) - off
                j = np.arange(off, off + m, dtype=np.float32)
                ramp = (np.float32(1.0) - j / np.float32(smooth))[:, None]
                seg[:m] += ramp * self._seam_step()[None, :]
            pos = end
        return out

    def __repr__(self) -> str:
        return f"Fitted({self.source!r}, {self.num_samples})"


class Scaled:
    """``source`` multiplied by a constant gain."""

    def __init__(self, source: Source, gain: float) -> None:
        self.source = source
        self.gain = float(gain)
        self.num_samples = source.num_samples

    def render(self, start: int, stop: int) -> np.ndarray:
        """See :meth:`Source.render`."""
        x = self.source.render(start, stop)
        if self.gain == 1.0:
            return x
        return x * np.float32(self.gain)

    def __repr__(self) -> str:
        return f"Scaled({self.source!r}, {self.gain})"


class Timeline:
    """Sources placed at sample offsets and summed; silent where nothing plays.

    A placement may start before 0 or run past the end; only the part inside
    ``[0, num_samples)`` is heard.
    """

    def __init__(self, placements: Sequence[tuple[int, Source]], num_samples: int) -> None:
        if num_samples < 0:
            raise ValueError("length must be >= 0")
        self.placements = [(int(off), src) for off, src in placements]
        self.num_samples = num_samples

    def render(self, start: int, stop: int) -> np.ndarray:
        """See :meth:`Source.render`."""
        _check(self, start, stop)
        out = np.zeros((stop - start, 2), dtype=np.float32)
        for off, src in self.placements:
            a = max(start, off)
            z = min(stop, off + src.num_samples)
            if a < z:
                out[a - start : z - start] += src.render(a - off, z - off)
        return out

    def __repr__(self) -> str:
        return f"Timeline({len(self.placements)} placements, {self.num_samples})"


def peak(source: Source, chunk: int = DEFAULT_CHUNK) -> float:
    """Largest absolute sample value, computed chunk by chunk."""
    if chunk <= 0:
        raise ValueError("chunk must be positive")
    best = 0.0
    n = source.num_samples
    for a in range(0, n, chunk):
        x = source.render(a, min(n, a + chunk))
        best = max(best, float(np.max(np.abs(x), initial=0.0)))
    return best


def normalized(source: Source, target_peak: float = 0.89, chunk: int = DEFAULT_CHUNK) -> Source:
    """``source`` scaled so its peak is ``target_peak`` (silence stays silence)."""
    p = peak(source, chunk)
    if p == 0.0:
        return source
    return Scaled(source, target_peak / p)
