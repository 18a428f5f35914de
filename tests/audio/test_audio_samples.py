"""Samples: audio held in memory (e.g. decoded) as a timeline source."""

from __future__ import annotations

import numpy as np
import pytest

from mockserver.audio import Fitted, Samples, decode, encode_wav


def test_samples_render_ranges_of_the_array() -> None:
    x = np.random.default_rng(1).uniform(-0.5, 0.5, (1000, 2)).astype(np.float32)
    source = Samples(x)
    assert source.num_samples == 1000
    assert np.array_equal(np.concatenate([source.render(0, 300), source.render(300, 1000)]), x)
    with pytest.raises(ValueError):
        source.render(900, 1001)


def test_mono_becomes_stereo_and_other_shapes_are_refused() -> None:
    mono = Samples(np.linspace(-1, 1, 10))
    assert mono.render(0, 10).shape == (10, 2)
    assert np.array_equal(mono.render(0, 10)[:, 0], mono.render(0, 10)[:, 1])
    with pytest.raises(ValueError):
        Samples(np.zeros((10, 3)))


def test_samples_compose_with_other_sources() -> None:
    x = np.full((100, 2), 0.25, dtype=np.float32)
    looped = Fitted(Samples(x), 250)
    audio, rate = decode(encode_wav(looped))
    assert rate == 44100 and len(audio) == 250
    assert np.allclose(audio, 0.25, atol=1e-4)
