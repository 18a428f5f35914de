import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver.audio import (
    TAG_STYLES,
    Curve,
    MusicFeatures,
    features_from_dict,
    features_from_params,
    features_from_prompt,
    features_to_dict,
    tag_style,
)
from mockserver.audio.features import SCALES, TIMBRES

values = st.floats(min_value=1, max_value=10, allow_nan=False)
keyframes = st.lists(st.tuples(st.floats(0, 100, allow_nan=False), values).map(list), min_size=1, max_size=6)


def test_curve_constant_and_int_param():
    assert Curve.from_param(7).at(0.3) == 7.0
    assert Curve.constant(3).keyframes == ((0.0, 3.0),)


def test_curve_keyframes_are_percent_sorted_interpolated_and_held():
    c = Curve.from_param([[100, 9], [0, 1], [50, 5]])
    assert c.keyframes == ((0.0, 1.0), (0.5, 5.0), (1.0, 9.0))
    assert c.at(0.25) == pytest.approx(3.0)
    assert c.at(0.75) == pytest.approx(7.0)
    held = Curve.from_param([[20, 2], [80, 8]])
    assert held.at(0.0) == 2.0 and held.at(0.1) == 2.0
    assert held.at(0.9) == 8.0 and held.at(1.0) == 8.0
    assert held.at(0.5) == pytest.approx(5.0)


@pytest.mark.parametrize("bad", [[], [[1, 2, 3]], "x", [["a", 1]], True, [[0, float("nan")]]])
def test_curve_rejects_malformed(bad):
    with pytest.raises(ValueError):
        Curve.from_param(bad)


@given(keyframes, st.lists(st.floats(-0.5, 1.5, allow_nan=False), min_size=1, max_size=20))
def test_curve_at_many_matches_at(kf, xs):
    c = Curve.from_param(kf)
    many = c.at_many(np.array(xs))
    for x, v in zip(xs, many):
        assert v == c.at(x)
    lo = min(v for _, v in c.keyframes)
    hi = max(v for _, v in c.keyframes)
    assert np.all(many >= lo - 1e-9) and np.all(many <= hi + 1e-9)


def test_features_defaults():
    f = features_from_params(None, [])
    assert f.tempo == 5.0
    for name in ("intensity", "rhythm", "tone", "variance"):
        assert getattr(f, name) == Curve.constant(5)
    assert f.scale == "major" and f.timbre == "acoustic"
    assert 60 <= f.tempo_bpm <= 180


def test_tempo_bpm_mapping():
    assert MusicFeatures(tempo=1).tempo_bpm == pytest.approx(60)
    assert MusicFeatures(tempo=10).tempo_bpm == pytest.approx(180)
    assert MusicFeatures(tempo=9).tempo_bpm > MusicFeatures(tempo=2).tempo_bpm + 80


def test_params_curves_and_tempo_scalar_only():
    f = features_from_params({"intensity": [[0, 1], [100, 9]], "tempo": 7, "tone": 2}, [])
    assert f.intensity.at(0) == 1 and f.intensity.at(1) == 9
    assert f.tempo == 7 and f.tone == Curve.constant(2)
    with pytest.raises(ValueError):
        features_from_params({"tempo": [[0, 1], [100, 9]]}, [])


def test_tag_styles_table_and_bonuses_clamped():
    assert len(TAG_STYLES) >= 30
    assert TAG_STYLES[1].timbre == "acoustic"
    assert TAG_STYLES[2].timbre == "electronic"
    assert TAG_STYLES[10].timbre == "ambient"
    assert TAG_STYLES[17].timbre == "latin"
    for style in TAG_STYLES.values():
        assert style.scale is None or style.scale in SCALES
        assert style.timbre is None or style.timbre in TIMBRES
        assert all(-1 <= v <= 1 for v in style.bonus.values())
    dynamic = features_from_params({"intensity": 10, "tempo": 10}, [11, 22])
    assert dynamic.intensity == Curve.constant(10) and dynamic.tempo == 10
    calm = features_from_params({"intensity": 5}, [9])
    assert calm.intensity.at(0.5) == pytest.approx(4.0)
    assert calm.scale == "pentatonic"


@given(st.lists(st.integers(0, 10_000), max_size=5))
def test_tags_pick_deterministically(tags):
    a = features_from_params({}, tags)
    b = features_from_params({}, list(tags))
    assert a == b
    assert a.scale in SCALES and a.timbre in TIMBRES and 60 <= a.root <= 71
    for t in tags:
        style = tag_style(t)
        assert style.scale is None or style.scale in SCALES


def test_unknown_tags_hash_to_varied_choices():
    timbres = {tag_style(t).timbre for t in range(1000, 1100)}
    scales = {tag_style(t).scale for t in range(1000, 1100)}
    assert len(timbres) >= 4 and len(scales) >= 4


def test_prompt_keywords():
    calm = features_from_prompt("a calm slow ambient piece")
    upbeat = features_from_prompt("upbeat fast electronic party track")
    assert calm.intensity.at(0.5) < upbeat.intensity.at(0.5)
    assert calm.tempo < upbeat.tempo
    assert calm.timbre == "ambient" and upbeat.timbre == "electronic"
    assert features_from_prompt("dark moody jazz").tone.at(0) < features_from_prompt("bright jazz").tone.at(0)
    assert features_from_prompt("latin dance").timbre == "latin"
    assert features_from_prompt("solo piano").timbre == "piano"
    assert features_from_prompt("song at 180 bpm").tempo == 10


@given(st.text(max_size=60))
def test_prompt_is_stable(prompt):
    a = features_from_prompt(prompt)
    assert a == features_from_prompt(prompt)
    assert 1 <= a.tempo <= 10


def _features():
    curve = keyframes.map(Curve.from_param)
    return st.builds(
        MusicFeatures,
        tempo=values,
        intensity=curve,
        rhythm=curve,
        tone=curve,
        variance=curve,
        scale=st.sampled_from(sorted(SCALES)),
        timbre=st.sampled_from(TIMBRES),
        root=st.integers(48, 72),
    )


@given(_features())
def test_features_dict_round_trips_through_json(f):
    d = features_to_dict(f)
    text = json.dumps(d, sort_keys=True)
    back = features_from_dict(json.loads(text))
    assert back == f
    assert json.dumps(features_to_dict(back), sort_keys=True) == text
    assert all(math.isfinite(v) for _, v in f.intensity.keyframes)
