"""Operations that need no key are not rate limited per key, even when a key is sent."""

from __future__ import annotations

from mockserver.http.limits import key_reader
from mockserver.openapi.spec_index import SpecIndex

SPEC = {
    "security": [{"bearer": []}],
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    "paths": {
        "/health": {"get": {"security": []}},
        "/items/{id}": {"get": {}, "delete": {"security": []}},
        "/items/special": {"get": {}},
        "/files/{name}": {"get": {"security": []}},
    },
}


def scope(method: str, path: str, key: str | None = "k") -> dict:
    headers = [(b"authorization", f"Bearer {key}".encode())] if key else []
    return {"type": "http", "method": method, "path": path, "headers": headers}


def test_open_operations_follow_the_effective_security() -> None:
    is_open = SpecIndex(SPEC, "/api").is_open
    assert is_open("GET", "/api/health")
    assert is_open("DELETE", "/api/items/7")
    assert not is_open("GET", "/api/items/7")
    assert not is_open("GET", "/api/items/special")  # the literal path wins over the template
    assert is_open("GET", "/api/files/a.wav")
    assert not is_open("GET", "/elsewhere/health")


def test_key_reader_reads_no_key_for_open_operations() -> None:
    read = key_reader(SPEC, "/api")
    assert read(scope("GET", "/api/items/7")) == "k"
    assert read(scope("GET", "/api/health")) is None
    assert read(scope("GET", "/api/items/7", key=None)) is None


def test_a_spec_with_top_level_open_security_keeps_secured_operations_limited() -> None:
    spec = {**SPEC, "security": [], "paths": {"/a": {"get": {"security": [{"bearer": []}]}},
                                              "/b": {"get": {}}}}
    read = key_reader(spec)
    assert read(scope("GET", "/a")) == "k"
    assert read(scope("GET", "/b")) is None
