"""Request patterns: what a fault rule or a verification means, and how a request differs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver.core.patterns import RequestFacts, RequestPattern, parse_body

SUBMIT = RequestFacts(
    provider="musicgpt", method="POST", local_path="/v1/sound_generator",
    route="/v1/sound_generator", headers={"x-trace": "abc-123"},
    body={"prompt": "rain on a tin roof", "duration": 30, "tags": ["a", "b"],
          "regions": [{"params": {"tempo": 3}}]})


@pytest.mark.parametrize("pattern", [
    {},
    {"provider": "musicgpt", "method": "post", "path": "/v1/sound_generator"},
    {"path_glob": "/v1/*"},
    {"headers": {"X-Trace": "abc-123"}},
    {"headers": {"x-trace": {"matches": "^abc-\\d+$"}, "x-other": {"absent": True}}},
    {"body": {"prompt": {"contains": "tin"}, "duration": 30, "tags.1": "b"}},
    {"body": {"regions[0].params.tempo": 3, "tags": {"equals": ["a", "b"]}}},
])
def test_patterns_that_hold(pattern: dict) -> None:
    assert RequestPattern.from_json(pattern).differences(SUBMIT) == []


def test_each_differing_field_is_named_with_what_was_expected_and_sent() -> None:
    pattern = RequestPattern.from_json({
        "provider": "musicgpt", "method": "GET", "path": "/v1/byId",
        "headers": {"x-trace": "zzz"}, "body": {"prompt": {"contains": "snow"}, "missing": 1}})
    said = [d.describe() for d in pattern.differences(SUBMIT)]
    assert said == [
        'method: expected "GET", got "POST"',
        'path: expected "/v1/byId", got "/v1/sound_generator"',
        'headers.x-trace: expected "zzz", got "abc-123"',
        'body.prompt: expected {"contains": "snow"}, got "rain on a tin roof"',
        'body.missing: expected 1, got (absent)',
    ]


def test_a_template_path_matches_by_its_route_or_its_own_path() -> None:
    poll = RequestFacts("musicgen", "GET", "/generate/42", "/generate/{task_id}")
    assert RequestPattern.from_json({"path": "/generate/{task_id}"}).matches(poll)
    assert RequestPattern.from_json({"path": "/generate/42"}).matches(poll)
    assert not RequestPattern.from_json({"path": "/generate/43"}).matches(poll)


def test_form_fields_are_text_and_match_numbers_as_sent() -> None:
    body = parse_body("application/x-www-form-urlencoded", b"duration=30&tag=a&tag=b")
    form = RequestFacts("musicgpt", "POST", "/v1/x", "/v1/x", body=body)
    assert body == {"duration": "30", "tag": ["a", "b"]}
    assert RequestPattern.from_json({"body": {"duration": 30}}).matches(form)
    assert parse_body("application/json", b"{not json") is None
    assert parse_body("multipart/form-data; boundary=x", b"--x--") is None


@pytest.mark.parametrize(("pattern", "said"), [
    ({"method": 3}, "method must be a non-empty string"),
    ({"path": "getTags"}, "path must start with /"),
    ({"headers": ["x"]}, "headers must be an object"),
    ({"body": {"a": {"contains": 1}}}, "body.a.contains must be a string"),
    ({"body": {"a": {"matches": "("}}}, "body.a.matches is not a regular expression"),
    ({"body": {"a": {"near": 1}}}, "body.a: an operator object has exactly one of"),
    ({"body": {"a": {"absent": False}}}, "body.a.absent must be true"),
])
def test_a_wrong_pattern_is_refused_naming_the_key(pattern: dict, said: str) -> None:
    with pytest.raises(ValueError, match=said.replace("(", r"\(")):
        RequestPattern.from_json(pattern)


# Properties: a pattern made from what a request carries matches it, and changing one of
# those fields makes exactly that field the difference.

_names = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
_scalars = st.one_of(st.integers(-10**6, 10**6), st.text(max_size=12), st.booleans())
_bodies = st.dictionaries(_names, st.one_of(_scalars, st.lists(_scalars, max_size=3)),
                          max_size=5)


@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]), body=_bodies,
       headers=st.dictionaries(_names.map(lambda n: "x-" + n), st.text("abc123-", max_size=8),
                               max_size=3),
       path=st.lists(_names, min_size=1, max_size=3).map(lambda parts: "/" + "/".join(parts)))
def test_a_pattern_made_from_a_request_matches_it_and_names_each_change(
        method: str, body: dict, headers: dict, path: str) -> None:
    request = RequestFacts("muzaic", method, path, None, headers, body)
    pattern = RequestPattern.from_json({
        "provider": "muzaic", "method": method, "path": path, "headers": headers,
        "body": {name: {"equals": value} for name, value in body.items()}})
    assert pattern.differences(request) == []
    for name in body:
        changed = RequestFacts("muzaic", method, path, None, headers,
                               {**body, name: {"changed": True}})  # never generated
        assert [d.field for d in pattern.differences(changed)] == [f"body.{name}"]
    other = "GET" if method != "GET" else "POST"
    moved = RequestFacts("muzaic", other, path + "/x", None, headers, body)
    assert [d.field for d in pattern.differences(moved)] == ["method", "path"]
