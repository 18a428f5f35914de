import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver.audio import Curve, MusicFeatures, features_from_params, plan, rms, spectral_centroid
from mockserver.audio.features import TIMBRES

SR = 44100


def test_num_samples_is_exact():
    for d in (0.0, 0.001, 0.5, 1.0, 7.3, 61.234):
        assert plan(MusicFeatures(), d, 1).num_samples == round(d * SR)
    assert plan(MusicFeatures(), 1.0, 1, sample_rate=48000).num_samples == 48000


@given(st.floats(0.0, 12.0, allow_nan=False), st.integers(0, 2**32), st.booleans())
def test_num_samples_property(duration, seed, fit):
    p = plan(MusicFeatures(), duration, seed, fit_bars=fit)
    assert p.num_samples == round(duration * SR)
    assert p.render(0, p.num_samples).shape == (p.num_samples, 2)


@given(
    st.sampled_from(TIMBRES),
    st.integers(0, 1000),
    st.lists(st.integers(1, 120_000), min_size=1, max_size=8),
)
def test_chunked_render_equals_one_shot_bit_for_bit(timbre, seed, cuts):
    p = plan(MusicFeatures(timbre=timbre, intensity=Curve.constant(8), rhythm=Curve.constant(8)), 4.0, seed)
    whole = p.render(0, p.num_samples)
    bounds = sorted({0, p.num_samples, *(c % p.num_samples for c in cuts)})
    parts = [p.render(a, b) for a, b in zip(bounds, bounds[1:])]
    joined = np.concatenate(parts)
    assert joined.dtype == np.float32
    assert np.array_equal(joined.view(np.uint32), whole.view(np.uint32))


def test_render_shape_range_and_bounds():
    p = plan(features_from_params({"intensity": 10, "rhythm": 10}, [11, 22]), 6.0, 3)
    x = p.render(0, p.num_samples)
    assert x.shape == (p.num_samples, 2) and x.dtype == np.float32
    assert np.all(np.abs(x) <= 1.0)
    assert rms(x) > 0.05
    assert p.render(100, 100).shape == (0, 2)
    with pytest.raises(ValueError):
        p.render(0, p.num_samples + 1)
    with pytest.raises(ValueError):
        p.render(-1, 10)
    with pytest.raises(ValueError):
        plan(MusicFeatures(), -1.0, 1)


def test_deterministic_and_seed_dependent():
    f = features_from_params({"intensity": [[0, 3], [100, 8]]}, [14])
    a = plan(f, 5.0, 42).render(0, 5 * SR)
    b = plan(f, 5.0, 42).render(0, 5 * SR)
    c = plan(f, 5.0, 43).render(0, 5 * SR)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert [n.start for n in plan(f, 5.0, 42).notes] == [n.start for n in plan(f, 5.0, 42).notes]


def test_every_timbre_makes_real_music():
    for timbre in TIMBRES:
        p = plan(MusicFeatures(timbre=timbre), 8.0, 7)
        notes = p.notes
        instruments = {n.instrument for n in notes}
        pitches = {n.pitch for n in notes}
        assert len(instruments) >= 3, timbre  # chords, bass, melody at least
        assert len(pitches) >= 6, timbre
        x = p.render(0, p.num_samples)
        assert 0.03 < rms(x) < 0.4, timbre
        assert not np.array_equal(x[:, 0], x[:, 1])  # stereo


def test_notes_are_sorted_and_inside_the_piece():
    p = plan(MusicFeatures(timbre="jazz"), 10.0, 2)
    starts = [n.start for n in p.notes]
    assert starts == sorted(starts)
    assert all(0 <= s < p.num_samples for s in starts)
    assert all(0 < n.velocity <= 1 and n.length > 0 for n in p.notes)


@given(st.floats(0.3, 40.0), st.integers(1, 10))
def test_fit_bars_fills_duration_with_whole_bars(duration, tempo):
    f = MusicFeatures(tempo=tempo)
    p = plan(f, duration, 1, fit_bars=True)
    bar_s = p.beats_per_bar * 60.0 / p.bpm
    assert p.bars >= 1
    assert p.bars * bar_s == pytest.approx(p.num_samples / SR, rel=1e-9)
    if duration >= 4 * 60.0 / f.tempo_bpm:
        assert p.beats_per_bar == 4
        assert 1 / 1.5 <= p.bpm / f.tempo_bpm <= 1.5


def test_without_fit_bars_tempo_is_nominal():
    f = MusicFeatures(tempo=3)
    p = plan(f, 10.0, 1)
    assert p.bpm == pytest.approx(f.tempo_bpm)
    assert p.bars == int(np.ceil(10.0 / (4 * 60.0 / p.bpm)))


def test_tone_changes_brightness():
    for timbre in ("acoustic", "electronic", "orchestral"):
        dark = plan(MusicFeatures(timbre=timbre, tone=Curve.constant(1)), 8.0, 5).render(0, 8 * SR)
        bright = plan(MusicFeatures(timbre=timbre, tone=Curve.constant(9)), 8.0, 5).render(0, 8 * SR)
        assert spectral_centroid(bright, SR) > 1.5 * spectral_centroid(dark, SR), timbre


def test_keyframed_intensity_rises():
    f = features_from_params({"intensity": [[0, 1], [100, 9]]}, [])
    x = plan(f, 20.0, 9).render(0, 20 * SR)
    q = len(x) // 4
    assert rms(x[-q:]) > 1.8 * rms(x[:q])


def test_intensity_changes_loudness_and_density():
    quiet = plan(MusicFeatures(intensity=Curve.constant(2)), 10.0, 4)
    loud = plan(MusicFeatures(intensity=Curve.constant(9)), 10.0, 4)
    assert rms(loud.render(0, loud.num_samples)) > 1.8 * rms(quiet.render(0, quiet.num_samples))
    assert loud.num_notes > 1.3 * quiet.num_notes


def test_rhythm_changes_density():
    simple = plan(MusicFeatures(rhythm=Curve.constant(1)), 10.0, 4)
    busy = plan(MusicFeatures(rhythm=Curve.constant(10)), 10.0, 4)
    assert busy.num_notes > 1.5 * simple.num_notes


def _bar_similarity(variance: float) -> float:
    """Mean cosine similarity of the melody (rhythm and contour) between bars playing the same motif slot."""
    f = MusicFeatures(variance=Curve.constant(variance), timbre="electronic")
    sims = []
    for seed in range(4):
        p = plan(f, 40.0, seed, fit_bars=True)
        bar = p.num_samples / p.bars
        lead = [n for n in p.notes if n.instrument == "square_lead"]
        rows = np.zeros((p.bars, 16 * 128))
        for n in lead:
            step = int(round(n.start / bar * 16))
            rows[min(p.bars - 1, step // 16), (step % 16) * 128 + n.pitch] = 1
        for a, b in zip(rows[:-2:2], rows[2::2]):  # same motif slot (every other bar)
            if a.any() and b.any():
                sims.append(a @ b / np.sqrt(a @ a * (b @ b)))
    return float(np.mean(sims))


def test_variance_changes_how_much_bars_repeat():
    assert _bar_similarity(1) > _bar_similarity(10) + 0.2


def test_long_piece_renders_in_bounded_memory():
    import tracemalloc

    tracemalloc.start()
    try:
        p = plan(features_from_params({"intensity": [[0, 2], [100, 9]]}, [2]), 1200.0, 1)
        assert p.num_samples == 1200 * SR
        total = 0.0
        for a in range(0, p.num_samples, 1 << 16):
            total += float(np.abs(p.render(a, min(p.num_samples, a + (1 << 16)))).sum())
        peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    assert total > 0
    # the output alone would be 423 MB; bounded by chunk + events + the capped waveform caches
    assert peak_mb < 150
