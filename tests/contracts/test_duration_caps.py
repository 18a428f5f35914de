"""The conformance run's duration caps (read off the specs) and callback URLs, applied by the
schemathesis hook."""

from __future__ import annotations

from mockserver.contracts.caps import duration_caps, nested_fills
from mockserver.contracts.providers import PROVIDERS
from mockserver.contracts.st_hooks import clamp, fill, fill_nested, point_callbacks

CAPS = {"duration": [2, 300, True], "audio_length": [2, None, False]}


def test_caps_follow_refs_and_allof_per_operation() -> None:
    caps = duration_caps(PROVIDERS["musicgen"].spec)
    # Duration is `allOf: [$ref Duration]` (maximum 300) with a default of 30 s
    assert caps["POST /multi-instrument"]["duration"] == [2, 300, True]
    assert caps["POST /generate"]["duration"] == [2, 300, True]
    # batch items carry the duration one level down: capped, never added
    assert caps["POST /generate/batch"]["duration"] == [2, 300, False]
    assert not any(key.startswith("GET ") for key in caps)  # responses are not requests


def test_each_operation_keeps_its_own_maximum() -> None:
    caps = duration_caps(PROVIDERS["soundpiece"].spec)
    assert caps["PUT /v1/create.new_fx"]["duration"][1] == 10
    assert caps["PUT /v1/create.new_sample"]["duration"][1] == 30


def test_a_length_without_documented_maximum_is_capped_at_any_size() -> None:
    caps = duration_caps(PROVIDERS["musicgpt"].spec)
    assert caps["POST /v1/sound_generator"]["audio_length"] == [2, None, False]


def test_clamp_caps_valid_values_and_leaves_negative_ones() -> None:
    body = {"duration": 215.5, "items": [{"duration": 9}, {"duration": 301}, {"duration": 1}],
            "audio_length": 10**9, "other": 500}
    assert clamp(body, CAPS) == {
        "duration": 2.0, "items": [{"duration": 2}, {"duration": 301}, {"duration": 1}],
        "audio_length": 2, "other": 500}
    assert clamp({"duration": "long", "audio_length": True}, CAPS) == {
        "duration": "long", "audio_length": True}


def test_fill_adds_only_absent_top_level_fields_with_a_long_default() -> None:
    assert fill({"prompt": "x"}, CAPS) == {"prompt": "x", "duration": 2}
    assert fill({"duration": 5}, CAPS) == {"duration": 5}
    assert fill([{"prompt": "x"}], CAPS) == [{"prompt": "x"}]


def test_nested_fills_find_long_defaults_below_the_top() -> None:
    # a Muzaic region without `duration` lasts the documented default of 60 s
    assert nested_fills(PROVIDERS["muzaic"].spec)["POST /soundtrack"] == [
        [["regions", "[]"], "duration", 2]]
    # a batch item's duration defaults to 30 s, like a single request's
    assert nested_fills(PROVIDERS["musicgen"].spec)["POST /generate/batch"] == [
        [["requests", "[]"], "duration", 2]]
    assert nested_fills(PROVIDERS["musicgpt"].spec) == {}


def test_fill_nested_adds_the_cap_only_where_the_field_is_absent() -> None:
    fills = [[["regions", "[]"], "duration", 2]]
    body = {"regions": [{"time": 0}, {"time": 1, "duration": 9}, "not a region"], "x": 1}
    assert fill_nested(body, fills) == {
        "regions": [{"time": 0, "duration": 2}, {"time": 1, "duration": 9}, "not a region"],
        "x": 1}
    # other shapes (negative cases) are left alone
    for odd in ({"regions": "none"}, {"other": []}, [], None, {"regions": [[{"time": 0}]]}):
        assert fill_nested(odd, fills) == odd


def test_callback_urls_of_valid_bodies_point_at_the_run_s_receiver() -> None:
    url = "http://127.0.0.1:5/hook"
    body = {"prompt": "x", "webhook_url": "https://0.com", "callback_url": "0"}
    assert point_callbacks(body, url) == {"prompt": "x", "webhook_url": url, "callback_url": url}
    # not strings (a negative case, or an explicit null): left as they are
    for body in ({"callback_url": None}, {"callback_url": 5}, {"prompt": "x"}, ["x"], None):
        assert point_callbacks(body, url) == body
