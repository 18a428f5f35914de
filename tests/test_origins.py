"""Where a request came to (``mockserver.http.origins``), the start of absolute URLs."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from mockserver.http.origins import api_base, origin_of


def connection(scheme: str, path: str, host: str = "127.0.0.1:8080") -> HTTPConnection:
    return HTTPConnection({"type": "http" if scheme.startswith("http") else "websocket",
                           "scheme": scheme, "path": path, "query_string": b"x=1",
                           "headers": [(b"host", host.encode())]})


def test_origin_is_scheme_and_authority_the_client_used() -> None:
    assert origin_of(connection("http", "/musicgpt/api/v1/x")) == "http://127.0.0.1:8080"
    assert origin_of(connection("https", "/", "example.test")) == "https://example.test"


def test_a_websocket_gives_the_servers_http_origin() -> None:
    assert origin_of(connection("ws", "/ws/stream")) == "http://127.0.0.1:8080"
    assert origin_of(connection("wss", "/ws/stream", "[::1]:9")) == "https://[::1]:9"


def test_api_base_drops_the_operation_path() -> None:
    request = connection("http", "/musicgen/api/v1/generate/abc")
    assert api_base(request, "/generate/abc") == "http://127.0.0.1:8080/musicgen/api/v1"
    assert api_base(connection("ws", "/ws/stream"), "/ws/stream") == "http://127.0.0.1:8080"
    assert api_base(request, "/other") == "http://127.0.0.1:8080/musicgen/api/v1/generate/abc"


def test_origin_without_a_host_header_uses_the_server_however_it_is_given() -> None:
    """The ASGI ``server`` may be a list (starlette's TestClient) or a tuple (uvicorn)."""
    for server in (["127.0.0.1", 9001], ("127.0.0.1", 9001)):
        scope = {"type": "http", "scheme": "http", "path": "/", "query_string": b"",
                 "headers": [], "server": server}
        assert origin_of(HTTPConnection(scope)) == "http://127.0.0.1:9001"
    other = {"type": "http", "scheme": "http", "path": "/", "query_string": b"",
             "headers": [], "server": ("127.0.0.1", 9002)}
    assert origin_of(HTTPConnection(other)) == "http://127.0.0.1:9002"  # not the one kept
