"""``AudioMixer`` of the fake: mixing, effects and mastering, measured independently."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest
from scipy.signal import resample_poly

from mockserver.fakes import music_gen as fake


@pytest.fixture(scope="module")
def tracks() -> fake.MultiTrackResult:
    """Three stems and their mix (8 s, so loudness gating has blocks to work with)."""
    return fake.MultiInstrumentGenerator().generate_multi_track(
        {"piano": "Jazz piano comping", "bass": "Walking bass line", "drums": "Swing pattern"},
        duration=8.0, mix_settings={"preset": "studio"}, seed=11)


def lufs(audio: fake.AudioOutput) -> float:
    """Integrated loudness measured with pyloudnorm directly."""
    return pyloudnorm.Meter(audio.sample_rate).integrated_loudness(
        audio.samples.astype(np.float64))


def true_peak_db(audio: fake.AudioOutput) -> float:
    """4x oversampled peak (scipy's polyphase resampler, not the mixer's own meter)."""
    up = resample_poly(audio.samples.astype(np.float64), 4, 1, axis=0)
    return 20 * np.log10(np.max(np.abs(up)))


@pytest.mark.parametrize("target, headroom", [(-14.0, 1.0), (-23.0, 1.0), (-9.0, 1.0),
                                               (-16.0, 0.3)])
def test_master_hits_the_loudness_target_with_headroom(tracks: fake.MultiTrackResult,
                                                       target: float, headroom: float) -> None:
    mixed = fake.AudioMixer().mix_tracks(tracks)
    mastered = fake.AudioMixer().master(mixed, target_lufs=target, headroom_db=headroom)
    assert abs(lufs(mastered) - target) <= 0.5
    assert 20 * np.log10(np.max(np.abs(mastered.samples))) <= -headroom
    assert true_peak_db(mastered) <= -headroom
    assert mastered.duration == mixed.duration


def test_master_works_on_a_mono_generation() -> None:
    audio = fake.MusicGenerator("musicgen-small").generate("Quiet ambient pad", 6.0, seed=5)
    mastered = fake.AudioMixer().master(audio, -18.0, 2.0)
    assert mastered.channels == 1
    assert abs(lufs(mastered) - -18.0) <= 0.5
    assert true_peak_db(mastered) <= -2.0


def test_master_refuses_silence() -> None:
    with pytest.raises(ValueError, match="silence"):
        fake.AudioMixer().master(fake.AudioOutput(np.zeros(32000 * 2)), -14.0)


def test_mix_tracks_levels_and_panning(tracks: fake.MultiTrackResult) -> None:
    mixer = fake.AudioMixer()
    piano = tracks["piano"]
    left = mixer.mix_tracks({"piano": piano}, panning={"piano": -1.0})
    assert left.channels == 2
    assert np.max(np.abs(left.samples[:, 1])) < 1e-6, "hard left: nothing on the right"
    centre = mixer.mix_tracks({"piano": piano})
    np.testing.assert_allclose(centre.samples[:, 0], piano.samples * np.cos(np.pi / 4),
                               atol=1e-6)
    half = mixer.mix_tracks({"piano": piano}, levels={"piano": 0.5})
    np.testing.assert_allclose(half.samples, centre.samples * 0.5, atol=1e-6)
    with pytest.raises(ValueError, match="unknown track"):
        mixer.mix_tracks({"piano": piano}, levels={"violin": 1.0})


def test_mix_tracks_applies_per_track_effects(tracks: fake.MultiTrackResult) -> None:
    mixer = fake.AudioMixer()
    plain = mixer.mix_tracks(tracks)
    darker = mixer.mix_tracks(tracks, effects={"drums": [{"type": "lowpass", "cutoff_hz": 500}]})
    assert plain.samples.shape == darker.samples.shape
    assert not np.allclose(plain.samples, darker.samples)


def test_apply_effects_chain_formats(tracks: fake.MultiTrackResult) -> None:
    mixer = fake.AudioMixer()
    piano = tracks["piano"]
    out = mixer.apply_effects(piano, ["reverb", ("gain", {"db": -6}),
                                      {"type": "fade_in", "seconds": 0.5},
                                      {"type": "fade_out", "seconds": 0.5}])
    assert out.samples.shape == piano.samples.shape
    assert out.samples[0] == 0.0 and out.samples[-1] == 0.0
    with pytest.raises(ValueError, match="unknown effect"):
        mixer.apply_effects(piano, ["flanger"])
    with pytest.raises(ValueError, match="lowpass"):
        mixer.apply_effects(piano, [{"type": "lowpass", "cutoff": 100}])


def test_multi_track_mix_settings_override_the_preset(tracks: fake.MultiTrackResult) -> None:
    custom = fake.MultiInstrumentGenerator().generate_multi_track(
        {"piano": "Jazz piano comping", "bass": "Walking bass line", "drums": "Swing pattern"},
        duration=8.0, seed=11,
        mix_settings={"preset": "studio", "target_lufs": -20.0, "panning": {"piano": 1.0}})
    assert abs(lufs(custom.mix) - -20.0) <= 0.5
    assert abs(lufs(tracks.mix) - -14.0) <= 0.5  # the studio preset's target
    for name in tracks:
        np.testing.assert_array_equal(custom[name].samples, tracks[name].samples)
