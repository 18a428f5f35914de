"""The file-URL signing key: random per state file, kept in it, never derived from anything
the server publishes; ``files.signing_key`` in the config replaces it on purpose."""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest

from live import LiveServer
from mockserver.core.clock import Clock
from mockserver.core.files import KEY_META, FileLinks
from mockserver.core.settings import Settings
from mockserver.core.store import Store

ORIGIN = "http://127.0.0.1:8080"
AUTH = {"Authorization": "Bearer spk_signing"}
FX = "/soundpiece/v1/create.new_fx"


def _settings(state: Path, **config) -> Settings:
    return Settings(state_path=str(state), clock="manual", seed=7, config=config)


def _ready_url(live: LiveServer) -> str:
    """The signed URL of a finished Soundpiece output."""
    body = {"idempotency_key": str(uuid.uuid4()), "prompt": "glass breaking"}
    op = httpx.put(live.url + FX, json=body, headers=AUTH).json()["fx"]
    assert httpx.post(live.url + "/_mock/clock/advance", json={"seconds": 30}).status_code == 200
    polled = httpx.get(live.url + FX, params={"id": op["id"]}, headers=AUTH).json()["fx"]
    return polled["outputs"][0]["url"]


def _parts(url: str) -> tuple[str, str, str, int, str]:
    parsed = urlparse(url)
    provider, name = parsed.path.removeprefix("/_mock/files/").split("/")
    query = parse_qs(parsed.query)
    base = f"{parsed.scheme}://{parsed.netloc}{parsed.path}"
    return base, provider, name, int(query["expires"][0]), query["signature"][0]


def _signed(key: bytes, base: str, provider: str, name: str, expires: int) -> str:
    signature = hmac.new(key, f"{provider}/{name}/{expires}".encode(),
                         hashlib.sha256).hexdigest()[:32]
    return f"{base}?{urlencode({'expires': expires, 'signature': signature})}"


def _public_keys(live: LiveServer, provider: str) -> list[bytes]:
    """Every key someone could derive from what the server shows: the seed (also as the
    old ``mockserver-files:<seed>`` derivation), ``/_mock/health`` and its fields, the
    provider's name, nothing at all."""
    health = httpx.get(live.url + "/_mock/health")
    seed = str(health.json()["seed"])
    texts = [seed, f"mockserver-files:{seed}", provider, f"mockserver-files:{provider}", "",
             health.text, *(str(v) for v in health.json().values()), "mockserver"]
    keys = [t.encode() for t in texts]
    keys += [hashlib.sha256(t.encode()).digest() for t in texts]
    keys += [int(seed).to_bytes(8, "big"), int(seed).to_bytes(8, "little")]
    return keys


def test_a_url_re_signed_with_public_data_is_refused(tmp_path: Path) -> None:
    with LiveServer(_settings(tmp_path / "s.db")) as live:
        url = _ready_url(live)
        assert httpx.get(url).status_code == 200  # the genuine URL works
        base, provider, name, expires, _ = _parts(url)
        assert httpx.post(live.url + "/_mock/clock/advance",
                          json={"seconds": 3600}).status_code == 200
        assert httpx.get(url).status_code == 403  # expired
        for key in _public_keys(live, provider):
            for when in (expires, expires + 7200):  # forge the same URL, or extend it
                forged = httpx.get(_signed(key, base, provider, name, when))
                assert forged.status_code == 403, key


def test_a_url_signed_before_a_restart_works_after_it(tmp_path: Path) -> None:
    with LiveServer(_settings(tmp_path / "s.db")) as live:
        url = _ready_url(live)
        assert httpx.get(url).status_code == 200
    with LiveServer(_settings(tmp_path / "s.db")) as live:
        again = httpx.get(url.replace(urlparse(url).netloc, urlparse(live.url).netloc))
    assert again.status_code == 200 and again.content[:4] == b"fLaC"


def test_each_state_file_has_its_own_random_key(tmp_path: Path) -> None:
    clock = Clock("manual")
    first = FileLinks(Store(str(tmp_path / "a.db")), clock)
    url_a, _ = first.url(ORIGIN, "prov", "x.flac", 60)
    reopened = FileLinks(Store(str(tmp_path / "a.db")), clock)
    other = FileLinks(Store(str(tmp_path / "b.db")), clock)
    assert reopened.url(ORIGIN, "prov", "x.flac", 60)[0] == url_a  # kept in the file
    url_b, _ = other.url(ORIGIN, "prov", "x.flac", 60)
    # only the signature differs between fresh state files
    assert url_a != url_b and url_a.split("signature=")[0] == url_b.split("signature=")[0]
    with sqlite3.connect(tmp_path / "a.db") as db:
        (key,) = db.execute("SELECT value FROM meta WHERE key = ?", (KEY_META,)).fetchone()
    assert len(bytes.fromhex(key)) == 32


def test_a_configured_key_gives_identical_urls_across_fresh_servers(tmp_path: Path) -> None:
    clock = Clock("manual")
    urls = [FileLinks(Store(str(tmp_path / f"{n}.db")), clock, "team secret").url(
        ORIGIN, "prov", "x.flac", 60)[0] for n in ("a", "b")]
    assert urls[0] == urls[1]
    with sqlite3.connect(tmp_path / "a.db") as db:  # nothing random was stored
        assert db.execute("SELECT * FROM meta WHERE key = ?", (KEY_META,)).fetchone() is None


def test_the_config_key_signs_served_urls(tmp_path: Path) -> None:
    with LiveServer(_settings(tmp_path / "s.db", files={"signing_key": "team secret"})) as live:
        url = _ready_url(live)
        base, provider, name, expires, signature = _parts(url)
        assert url == _signed(b"team secret", base, provider, name, expires)
        assert httpx.get(url).status_code == 200


@pytest.mark.parametrize("files", [{"signing_key": ""}, {"signing_key": 5}, "key"])
def test_a_bad_configured_key_stops_the_start(tmp_path: Path, files: object) -> None:
    with pytest.raises(ValueError, match="files"):
        LiveServer(_settings(tmp_path / "s.db", files=files))


def test_after_a_reset_the_next_url_gets_a_new_key(tmp_path: Path) -> None:
    # /_mock/reset empties the meta table with everything else: the key is not cached past it
    store, clock = Store(str(tmp_path / "s.db")), Clock("manual")
    links = FileLinks(store, clock)
    before, _ = links.url(ORIGIN, "prov", "x.flac", 60)
    store.execute("DELETE FROM meta")
    after, _ = links.url(ORIGIN, "prov", "x.flac", 60)
    assert after != before and store.get_meta(KEY_META) is not None
    assert FileLinks(store, clock).url(ORIGIN, "prov", "x.flac", 60)[0] == after
