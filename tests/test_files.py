"""Signed, expiring file URLs, and rendering a served file in-process by its URL."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from mockserver.core.clock import Clock
from mockserver.core.errors import LinkRefused
from mockserver.core.files import FileLinks
from mockserver.core.store import Store
from mockserver.http.errors import domain_error

ORIGIN = "http://127.0.0.1:8080"


def _links() -> tuple[FileLinks, Clock]:
    clock = Clock("manual")
    links = FileLinks(Store(":memory:"), clock)
    links.register("prov", lambda name: (name.encode(), "text/plain") if name != "gone" else None)
    return links, clock


def _query(url: str) -> tuple[str, str]:
    query = parse_qs(urlparse(url).query)
    return query["expires"][0], query["signature"][0]


def test_a_signed_url_works_until_it_expires() -> None:
    links, clock = _links()
    url, expires = links.url(ORIGIN, "prov", "a.flac", 60)
    assert url.startswith(f"{ORIGIN}/_mock/files/prov/a.flac?")
    assert expires == int(clock.now() + 60)
    assert links.fetch("prov", "a.flac", *_query(url)) == (b"a.flac", "text/plain")
    clock.advance(60)
    with pytest.raises(LinkRefused) as caught:
        links.fetch("prov", "a.flac", *_query(url))
    assert domain_error(caught.value).status == 403


def test_a_url_for_another_name_or_a_forged_signature_is_refused() -> None:
    links, _ = _links()
    expires, signature = _query(links.url(ORIGIN, "prov", "a.flac", 60)[0])
    for name, sig in (("b.flac", signature), ("a.flac", "0" * 32), ("a.flac", None)):
        with pytest.raises(LinkRefused) as caught:
            links.fetch("prov", name, expires, sig)
        assert domain_error(caught.value).status == 403


def test_render_local_reads_a_served_file_without_signature_or_expiry() -> None:
    links, clock = _links()
    url, _ = links.url(ORIGIN, "prov", "a.flac", 1)
    clock.advance(10)  # expired for a client, still this server's own file
    assert links.render_local(url) == (b"a.flac", "text/plain")
    assert links.render_local("/_mock/files/prov/b%2Eflac") == (b"b.flac", "text/plain")


@pytest.mark.parametrize("url", [
    "https://example.com/track.flac", "/_mock/files/other/a.flac", "/_mock/files/prov/",
    "/_mock/files/prov/a/b.flac", "/_mock/files/prov/gone", "/_mock/filesprov/a",
])
def test_render_local_is_none_for_anything_else(url: str) -> None:
    links, _ = _links()
    assert links.render_local(url) is None
