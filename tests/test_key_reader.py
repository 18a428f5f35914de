"""The one key reader (``mockserver.http.keys``): the forms a key is sent in, in order."""

from __future__ import annotations

from starlette.datastructures import Headers, QueryParams

from mockserver.http.keys import BEARER, KeyPlace, KeyReader, key_places

RAW = KeyPlace("MuzaicAPI-Secret-Key", bearer=False)


def test_bearer_place_needs_the_scheme_and_a_key() -> None:
    assert BEARER.read({"authorization": "Bearer  k1 "}) == "k1"
    assert BEARER.read({"authorization": "bearer k1"}) == "k1"
    assert BEARER.read({"authorization": "k1"}) is None
    assert BEARER.read({"authorization": "Bearer "}) is None
    assert BEARER.read({"authorization": "Basic abc"}) is None


def test_raw_place_tolerates_a_bearer_prefix() -> None:
    assert RAW.read({"muzaicapi-secret-key": "k2"}) == "k2"
    assert RAW.read({"muzaicapi-secret-key": "Bearer k2"}) == "k2"
    assert RAW.read({"muzaicapi-secret-key": "  "}) is None
    assert RAW.read(Headers({"MuzaicAPI-Secret-Key": "k2"})) == "k2"  # any case of the name


def test_reader_tries_places_in_order_then_the_query() -> None:
    reader = KeyReader((RAW, BEARER), query="token")
    both = Headers({"MuzaicAPI-Secret-Key": "raw", "Authorization": "Bearer bearer"})
    assert reader.read(both) == "raw"
    assert reader.read(Headers({"Authorization": "Bearer b"}), QueryParams("token=q")) == "b"
    assert reader.read(Headers({"Authorization": "Basic x"}), QueryParams("token=%20q%20")) == "q"
    assert reader.read(Headers({}), QueryParams("token=")) is None
    assert KeyReader((BEARER,)).read(Headers({}), QueryParams("token=q")) is None


def test_places_come_from_the_spec_security_schemes() -> None:
    spec = {"components": {"securitySchemes": {
        "key": {"type": "apiKey", "in": "header", "name": "MuzaicAPI-Secret-Key"},
        "query": {"type": "apiKey", "in": "query", "name": "api_key"},
        "bearer": {"type": "http", "scheme": "Bearer"}}}}
    assert key_places(spec) == (RAW, BEARER)
    assert key_places({}) == ()
