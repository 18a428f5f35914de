"""The mixing and mastering helpers (``mockserver.audio.effects``) on signals with known
answers, and mono output of the encoders."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from mockserver.audio import MusicSource, Samples, encode_flac, encode_wav, iter_pcm16, plan
from mockserver.audio import effects as fx
from mockserver.audio.features import features_from_prompt

SR = 32000


def sine(freq: float, seconds: float = 1.0, amp: float = 0.5, phase: float = 0.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)


def level(x: np.ndarray) -> float:
    """RMS of the middle half (away from edge effects)."""
    n = len(x)
    return float(np.sqrt(np.mean(np.square(x[n // 4: 3 * n // 4], dtype=np.float64))))


def test_fast_len_is_the_next_5_smooth_size() -> None:
    assert [fx._fast_len(n) for n in (1, 7, 17, 1000, 1025)] == [1, 8, 18, 1000, 1080]


def test_lowpass_and_highpass_separate_frequencies() -> None:
    low, high = sine(200), sine(8000)
    assert level(fx.lowpass(low, SR, 1000)) == pytest.approx(level(low), rel=0.01)
    assert level(fx.lowpass(high, SR, 1000)) < level(high) * 0.02  # ~ -36 dB at 3 octaves
    assert level(fx.highpass(high, SR, 1000)) == pytest.approx(level(high), rel=0.01)
    assert level(fx.highpass(low, SR, 1000)) < level(low) * 0.05
    no_dc = fx.highpass(low + 0.3, SR, 20)[SR // 4: 3 * SR // 4]
    assert abs(float(np.mean(no_dc))) < 0.003, "DC (0.3) is removed"
    at_cutoff = fx.lowpass(sine(1000), SR, 1000)
    assert level(at_cutoff) == pytest.approx(level(sine(1000)) / np.sqrt(2), rel=0.01)


def test_wrapped_lowpass_filters_the_array_as_one_period() -> None:
    """``wrap``: no zero padding, so a step's smoothing at the end reaches the start, and a
    whole number of periods of a tone at the cutoff comes out at exactly -3 dB."""
    step = np.concatenate([np.zeros(SR // 2), np.ones(SR // 2)]).astype(np.float32)
    padded = fx.lowpass(step, SR, 50, order=1)
    wrapped = fx.lowpass(step, SR, 50, order=1, wrap=True)
    assert wrapped.shape == step.shape and wrapped.dtype == np.float32
    assert abs(float(padded[0])) < 0.01 < float(wrapped[0])  # the end's 1s bleed into the start
    tone = sine(1000)  # 1000 whole periods in one second
    peak = float(np.max(np.abs(fx.lowpass(tone, SR, 1000, order=1, wrap=True))))
    assert peak == pytest.approx(0.5 / np.sqrt(2), rel=1e-4)


def test_gain_and_fades() -> None:
    x = sine(440)
    assert level(fx.gain(x, -6.0206)) == pytest.approx(level(x) / 2, rel=1e-3)
    faded = fx.fade_out(fx.fade_in(x, SR, 0.25), SR, 0.25)
    assert faded[0] == 0 and faded[-1] == 0
    np.testing.assert_array_equal(faded[SR // 4: -SR // 4], x[SR // 4: -SR // 4])
    stereo = np.stack([x, x], axis=1)
    assert fx.fade_in(stereo, SR, 0.5).shape == stereo.shape


def test_compressor_reduces_the_loud_part_only() -> None:
    x = np.concatenate([sine(440, 1.0, 0.05), sine(440, 1.0, 0.8)])
    y = fx.compress(x, SR, threshold_db=-20, ratio=4, attack_ms=5, release_ms=50)
    quiet, loud = y[:SR], y[SR:]
    assert level(quiet) == pytest.approx(level(x[:SR]), rel=0.01)  # under the threshold
    # 0.8 amplitude is ~-5 dBFS RMS, 15 dB over: 4:1 leaves ~3.75 dB, i.e. ~11 dB less
    reduction_db = 20 * np.log10(level(x[SR:]) / level(loud))
    assert 10.0 < reduction_db < 12.5


def test_reverb_adds_a_tail_after_a_click_and_keeps_the_length() -> None:
    x = np.zeros(SR, dtype=np.float32)
    x[100] = 1.0
    y = fx.reverb(x, SR, room_size=0.5, wet=0.5)
    assert y.shape == x.shape
    assert np.sum(np.square(y[SR // 10:])) > 0.01, "energy long after the click"
    assert np.array_equal(fx.reverb(x, SR), fx.reverb(x, SR)), "deterministic"


def test_true_peak_sees_between_samples() -> None:
    # A sine at a quarter of the rate, 45 degrees off: samples at 0.707, the wave reaches 1.
    # (Faded in and out: an abrupt start would ring, as band-limited signals do.)
    x = fx.fade_out(fx.fade_in(sine(SR / 4, 0.5, 1.0, np.pi / 4), SR, 0.05), SR, 0.05)
    assert fx.sample_peak(x) == pytest.approx(np.sqrt(0.5), abs=1e-4)
    assert fx.true_peak(x) == pytest.approx(1.0, abs=0.005)


def test_limiter_keeps_every_sample_under_the_ceiling() -> None:
    x = np.concatenate([sine(300, 0.5, 0.3), sine(300, 0.5, 1.5), sine(300, 0.5, 0.3)])
    y = fx.limit(x, SR, ceiling=0.5)
    assert fx.sample_peak(y) <= 0.5
    assert level(y[:SR // 4]) == pytest.approx(level(x[:SR // 4]), rel=0.01)


def test_pan_is_equal_power_and_mix_pads_short_tracks() -> None:
    x = sine(440)
    centre = fx.pan(x, 0.0)
    np.testing.assert_allclose(np.sum(np.square(centre), axis=1), np.square(x), rtol=1e-5)
    mixed = fx.mix([x, x[: SR // 2]], levels=[1.0, 0.5], pans=[-1.0, 1.0])
    assert mixed.shape == (SR, 2)
    np.testing.assert_allclose(mixed[:, 0], x, atol=1e-6)
    assert np.all(mixed[SR // 2:, 1] == 0)


def test_master_reaches_loudness_with_peaks_under_the_ceiling() -> None:
    piece = plan(features_from_prompt("energetic rock"), 6.0, 3, SR)
    x = MusicSource(piece).render(0, piece.num_samples)
    y = fx.master(x, SR, target_lufs=-12.0, headroom_db=1.0)
    assert fx.loudness(y, SR) == pytest.approx(-12.0, abs=0.1)
    assert fx.true_peak(y) <= 10 ** (-1 / 20)
    with pytest.raises(ValueError, match="0.4 s"):
        fx.master(x[:1000], SR)


def test_apply_chain_names_problems() -> None:
    x = sine(440)
    assert fx.apply_chain(x, SR, []).shape == x.shape
    with pytest.raises(ValueError, match="unknown effect 'echo'"):
        fx.apply_chain(x, SR, ["echo"])
    with pytest.raises(ValueError, match="an effect is"):
        fx.apply_chain(x, SR, [42])


def test_mono_pcm_chunks_join_into_the_mono_wav() -> None:
    piece = plan(features_from_prompt("calm piano"), 1.3, 9, SR)
    source = MusicSource(piece)
    wav = encode_wav(source, SR, channels=1)
    for chunk in (SR, 1000, 1 << 16):
        assert b"".join(iter_pcm16(source, 1, chunk)) == wav[44:]
    samples, rate = sf.read(io.BytesIO(wav), dtype="int16")
    assert rate == SR and samples.shape == (piece.num_samples,)
    stereo = source.render(0, piece.num_samples)
    expected = np.rint(np.clip((stereo[:, 0] + stereo[:, 1]) * 0.5 * 32767, -32767, 32767))
    np.testing.assert_array_equal(samples, expected.astype(np.int16))
    flac, _ = sf.read(io.BytesIO(encode_flac(source, SR, channels=1)), dtype="int16")
    np.testing.assert_array_equal(flac, samples)


def test_mono_samples_round_trip_through_a_mono_wav() -> None:
    x = np.linspace(-1, 1, 101, dtype=np.float32)
    wav = encode_wav(Samples(x), SR, channels=1)
    back, _ = sf.read(io.BytesIO(wav), dtype="int16")
    np.testing.assert_array_equal(back, np.rint(x * 32767).astype(np.int16))
    with pytest.raises(ValueError, match="channels"):
        encode_wav(Samples(x), SR, channels=3)
