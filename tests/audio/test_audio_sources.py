import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver.audio import (
    Fitted,
    MusicFeatures,
    MusicSource,
    Scaled,
    Silence,
    Source,
    Timeline,
    normalized,
    peak,
    plan,
)


class Ramp:
    """A test source whose samples are easy to predict: value i / 1000 at sample i (left), negated (right)."""

    def __init__(self, n: int) -> None:
        self.num_samples = n

    def render(self, start: int, stop: int) -> np.ndarray:
        assert 0 <= start <= stop <= self.num_samples
        v = (np.arange(start, stop, dtype=np.float32) / np.float32(1000)).astype(np.float32)
        return np.stack([v, -v], axis=1)


def music(seconds: float = 2.0, seed: int = 1) -> MusicSource:
    return MusicSource(plan(MusicFeatures(), seconds, seed))


def render_all(src: Source, step: int | None = None) -> np.ndarray:
    if step is None:
        return src.render(0, src.num_samples)
    return np.concatenate([src.render(a, min(src.num_samples, a + step))
                           for a in range(0, src.num_samples, step)] or [np.zeros((0, 2), np.float32)])


def test_sources_satisfy_protocol():
    m = music()
    for src in (m, Silence(5), Fitted(m, 10), Scaled(m, 0.5), Timeline([(0, m)], 10)):
        assert isinstance(src, Source)


def test_music_source_matches_piece():
    p = plan(MusicFeatures(), 1.0, 2)
    m = MusicSource(p)
    assert m.num_samples == p.num_samples
    assert np.array_equal(m.render(10, 500), p.render(10, 500))


def test_silence():
    s = Silence(1000)
    x = s.render(100, 400)
    assert x.shape == (300, 2) and x.dtype == np.float32 and not x.any()
    with pytest.raises(ValueError):
        s.render(0, 1001)


def test_fitted_truncates():
    m = music(2.0)
    f = Fitted(m, 30_000)
    assert f.num_samples == 30_000
    assert np.array_equal(render_all(f), m.render(0, 30_000))


def test_fitted_loops_whole_source_and_keeps_its_samples():
    m = music(1.0, 5)
    L = m.num_samples
    f = Fitted(m, 3 * L + 1234)
    x = render_all(f)
    src = m.render(0, L)
    assert x.shape == (3 * L + 1234, 2)
    assert np.array_equal(x[:L], src)  # first pass is the source itself
    # later passes repeat it, apart from a short smoothing ramp at each seam
    assert np.array_equal(x[L + 256 : 2 * L], src[256:])
    assert np.array_equal(x[2 * L + 256 : 3 * L], src[256:])
    assert np.array_equal(x[3 * L + 256 :], src[256:1234])
    # the seam has no step: the first looped sample continues from the last one
    assert np.allclose(x[L], x[L - 1], atol=1e-6)


@given(st.integers(1, 3000), st.integers(0, 10_000), st.lists(st.integers(0, 10_000), max_size=6))
def test_fitted_chunking_and_seam_property(src_len, n, cuts):
    r = Ramp(src_len)
    f = Fitted(r, n)
    whole = f.render(0, n)
    bounds = sorted({0, n, *(c % (n + 1) for c in cuts)})
    joined = np.concatenate([f.render(a, b) for a, b in zip(bounds, bounds[1:])] or [np.zeros((0, 2), np.float32)])
    assert np.array_equal(joined, whole)
    m = min(n, src_len)
    assert np.array_equal(whole[:m], r.render(0, m))
    if n > src_len:
        k = np.arange(src_len + min(256, src_len), n)
        k = k[(k % src_len) >= min(256, src_len)]
        assert np.array_equal(whole[k], r.render(0, src_len)[k % src_len])


def test_fitted_of_empty_source_is_silent():
    assert not Fitted(Silence(0), 100).render(0, 100).any()


def test_scaled():
    m = music(0.5)
    x = Scaled(m, 0.5).render(0, m.num_samples)
    assert np.array_equal(x, m.render(0, m.num_samples) * np.float32(0.5))


def test_timeline_sums_overlaps_and_gaps_are_silent():
    a = Ramp(1000)
    b = Ramp(500)
    t = Timeline([(100, a), (800, b), (2500, Ramp(100))], 2550)
    x = render_all(t)
    assert x.shape == (2550, 2)
    assert not x[:100].any()
    assert not x[1300:2500].any()
    assert np.array_equal(x[100:800], a.render(0, 700))
    assert np.allclose(x[800:1100], a.render(700, 1000) + b.render(0, 300))
    assert np.array_equal(x[1100:1300], b.render(300, 500))
    assert np.array_equal(x[2500:2550], Ramp(100).render(0, 50))  # truncated at the end
    assert np.array_equal(render_all(t, 333), x)


def test_timeline_with_negative_offset_and_music():
    m = music(1.0)
    t = Timeline([(-1000, m)], 50_000)
    x = render_all(t, 7777)
    assert np.array_equal(x[: m.num_samples - 1000], m.render(1000, m.num_samples))
    assert not x[m.num_samples - 1000 :].any()


def test_peak_and_normalized():
    m = music(3.0, 8)
    full = m.render(0, m.num_samples)
    assert peak(m, chunk=1000) == pytest.approx(float(np.abs(full).max()))
    n = normalized(m, 0.89)
    assert peak(n) == pytest.approx(0.89, abs=1e-4)
    n2 = normalized(m, 0.5, chunk=4096)
    assert peak(n2) == pytest.approx(0.5, abs=1e-4)
    assert normalized(Silence(100)).render(0, 100).shape == (100, 2)
    assert peak(Silence(0)) == 0.0
