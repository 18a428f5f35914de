"""Audio files the mock serves for asynchronous providers, behind signed, expiring URLs.

``GET /_mock/files/<provider>/<name>?expires=<unix>&signature=<hex>``: the signature is an
HMAC of provider, name and expiry, so a URL handed out cannot be pointed at another file or
given a later expiry; after ``expires`` (on the mock's clock) it is refused. The key is
random per state file (made at first use, kept in the ``meta`` table, so URLs outlive a
restart) unless the config sets ``files.signing_key``; it never derives from anything the
server publishes (the seed is in ``/_mock/health``). A provider declares a renderer
(``Provider.render_file``, registered here by the app) that turns a file name into bytes
(rendered on demand, cached).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from urllib.parse import unquote, urlencode, urlparse

from mockserver.core.clock import Clock
from mockserver.core.errors import FileNotFound, LinkRefused
from mockserver.core.store import Store

Renderer = Callable[[str], tuple[bytes, str] | None]

PREFIX = "/_mock/files/"
"""Where file URLs live, at the server root."""
KEY_META = "files.signing_key"
"""The ``meta`` row holding a state file's random signing key."""


class FileLinks:
    """Signed URLs and the renderers behind them."""

    def __init__(self, store: Store, clock: Clock, signing_key: str | None = None) -> None:
        """``signing_key`` (config ``files.signing_key``) replaces the state file's random
        key, for URLs that are byte-identical across fresh servers."""
        self._store = store
        self._configured = signing_key.encode() if signing_key is not None else None
        self._clock = clock
        self._renderers: dict[str, Renderer] = {}

    def _key(self) -> bytes:
        """The configured key, or the state file's own (made at first use; read each time,
        since ``/_mock/reset`` empties the meta table and the next use makes a new one)."""
        if self._configured is not None:
            return self._configured
        key = self._store.get_meta(KEY_META)
        if key is None:
            with self._store.transaction():  # two servers on one file agree on one key
                key = self._store.get_meta(KEY_META)
                if key is None:
                    key = secrets.token_hex(32)
                    self._store.set_meta(KEY_META, key)
        return key.encode()

    def register(self, provider: str, renderer: Renderer) -> None:
        """Serve ``provider``'s files with ``renderer(name) -> (bytes, media type) | None``."""
        self._renderers[provider] = renderer

    def _sign(self, provider: str, name: str, expires: int) -> str:
        message = f"{provider}/{name}/{expires}".encode()
        return hmac.new(self._key(), message, hashlib.sha256).hexdigest()[:32]

    def url(self, origin: str, provider: str, name: str, ttl_seconds: float) -> tuple[str, int]:
        """A signed URL valid for ``ttl_seconds`` of mock time, and its expiry (unix s)."""
        expires = int(self._clock.now() + ttl_seconds)
        return self.link(origin, provider, name, expires), expires

    def link(self, origin: str, provider: str, name: str, expires: int) -> str:
        """The signed URL of ``provider``'s file ``name`` expiring at ``expires`` (unix s);
        a replayed answer's links are signed again with it."""
        query = urlencode({"expires": expires, "signature": self._sign(provider, name, expires)})
        return f"{origin}{PREFIX}{provider}/{name}?{query}"

    def render_local(self, url_or_path: str) -> tuple[bytes, str] | None:
        """The bytes and media type of a file this server serves, by its URL or path.

        For a provider that works on audio it made itself (a remix of an earlier output):
        signature and expiry are not checked, since nothing leaves the server. None when the
        path is not a file path of this server or names no file.
        """
        path = unquote(urlparse(url_or_path).path)
        if not path.startswith(PREFIX):
            return None
        provider, _, name = path[len(PREFIX):].partition("/")
        renderer = self._renderers.get(provider)
        if renderer is None or not name or "/" in name:
            return None
        return renderer(name)

    def fetch(self, provider: str, name: str, expires: str | None,
              signature: str | None) -> tuple[bytes, str]:
        """The file's bytes and media type; ``LinkRefused`` for a bad or expired link,
        ``FileNotFound`` for a name no renderer knows."""
        renderer = self._renderers.get(provider)
        if renderer is None:
            raise FileNotFound(f"no files for provider {provider!r}")
        try:
            expiry = int(expires or "")
        except ValueError:
            raise LinkRefused("missing or malformed expires parameter") from None
        good = self._sign(provider, name, expiry)
        if not signature or not hmac.compare_digest(good, signature):
            raise LinkRefused("signature does not match")
        if self._clock.now() >= expiry:
            raise LinkRefused("URL expired; fetch the resource again for a fresh URL")
        found = renderer(name)
        if found is None:
            raise FileNotFound(f"no file {name!r}")
        return found
