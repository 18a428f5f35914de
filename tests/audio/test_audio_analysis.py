import numpy as np
import pytest

from mockserver.audio import onset_rate, rms, spectral_centroid
from mockserver.audio.analysis import onset_times

SR = 44100


def clicks(rate_hz: float, seconds: float = 10.0) -> np.ndarray:
    x = np.zeros(int(seconds * SR))
    t = np.arange(int(0.03 * SR)) / SR
    burst = np.sin(2 * np.pi * 1000 * t) * np.exp(-t / 0.005)
    for start in np.arange(0.0, seconds - 0.05, 1.0 / rate_hz):
        i = int(start * SR)
        x[i : i + len(burst)] += burst
    return np.stack([x, x], axis=1) * 0.5


@pytest.mark.parametrize("rate", [1.0, 2.0, 4.0, 8.0])
def test_onset_rate_counts_clicks(rate):
    assert onset_rate(clicks(rate), SR) == pytest.approx(rate, rel=0.1)


def test_onset_times_are_where_the_clicks_are():
    times = onset_times(clicks(2.0, 4.0), SR)
    assert np.allclose(times, np.arange(0, 4, 0.5)[: len(times)], atol=0.03)


def test_onset_rate_of_silence_and_steady_tone():
    assert onset_rate(np.zeros((SR, 2)), SR) == 0.0
    t = np.arange(5 * SR) / SR
    assert onset_rate(np.sin(2 * np.pi * 440 * t), SR) < 0.5
    assert onset_rate(np.zeros((0, 2)), SR) == 0.0


def test_spectral_centroid_of_sines():
    t = np.arange(SR) / SR
    assert spectral_centroid(np.sin(2 * np.pi * 1000 * t), SR) == pytest.approx(1000, rel=0.05)
    assert spectral_centroid(np.sin(2 * np.pi * 5000 * t), SR) == pytest.approx(5000, rel=0.05)
    assert spectral_centroid(np.zeros(SR), SR) == 0.0


def test_rms():
    t = np.arange(SR) / SR
    assert rms(np.sin(2 * np.pi * 100 * t)) == pytest.approx(1 / np.sqrt(2), rel=1e-3)
    assert rms(np.full((10, 2), 0.5)) == pytest.approx(0.5)
    assert rms(np.zeros((0, 2))) == 0.0
