"""Latency the validating proxy adds: ``python benchmarks/bench_proxy.py``.

The bundled mock (``mockserver serve --provider musicgpt``, instant clock) and the proxy in
front of it (``mockserver proxy musicgpt``) run as their own processes (one uvicorn each) on
127.0.0.1. A finished MusicGPT poll (``GET /v1/byId``: the request checked, the answer
validated, its audio URL rewritten) is sent straight to the mock and through the proxy,
alternately, over keep-alive connections; prints both medians and the difference (the bar:
at most 2 ms added).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mockserver.testing.servers import ServerProcess, free_port  # noqa: E402

KEY = "bench-key"
WARMUP = 100
SAMPLES = 1000
BAR_MS = 2.0


def start_proxy(upstream: str, port: int) -> subprocess.Popen:
    """``mockserver proxy musicgpt`` on ``port``, once it answers."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockserver.cli", "proxy", "musicgpt", "--upstream", upstream,
         "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    with httpx.Client(timeout=1) as client:
        while time.monotonic() < deadline:
            try:
                if client.get(f"http://127.0.0.1:{port}/_mock/health").status_code == 200:
                    return proc
            except httpx.TransportError:
                time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the proxy did not start")


def timed(client: httpx.Client, path: str, params: dict[str, str]) -> float:
    """Seconds for one poll (the whole answer read)."""
    started = time.perf_counter()
    response = client.get(path, params=params)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    return elapsed


def main() -> None:
    with ServerProcess(["--provider", "musicgpt", "--clock", "instant", "--state", ":memory:"],
                       cwd=ROOT) as mock:
        port = free_port()
        proxy = start_proxy(mock.url + "/api/public", port)
        try:
            auth = {"Authorization": KEY}
            with httpx.Client(base_url=mock.url + "/api/public", headers=auth,
                              timeout=30) as direct, \
                    httpx.Client(base_url=f"http://127.0.0.1:{port}/api/public", headers=auth,
                                 timeout=30) as proxied:
                task = direct.post("/v1/sound_generator",
                                   data={"prompt": "rain", "audio_length": "2"}).json()["task_id"]
                params = {"conversionType": "SOUND_GENERATOR", "task_id": task}
                answer = proxied.get("/v1/byId", params=params)
                assert answer.headers["X-Mock-Violations"] == "0", answer.text
                for _ in range(WARMUP):
                    timed(direct, "/v1/byId", params)
                    timed(proxied, "/v1/byId", params)
                straight, through = [], []
                for _ in range(SAMPLES):
                    straight.append(timed(direct, "/v1/byId", params))
                    through.append(timed(proxied, "/v1/byId", params))
        finally:
            proxy.terminate()
            proxy.wait(timeout=10)
    direct_ms = statistics.median(straight) * 1000
    proxy_ms = statistics.median(through) * 1000
    added = proxy_ms - direct_ms
    print(f"MusicGPT poll (GET /v1/byId, finished task), median of {SAMPLES} each, alternating:")
    print(f"  straight to the mock : {direct_ms:6.2f} ms")
    print(f"  through the proxy    : {proxy_ms:6.2f} ms")
    print(f"  added by the proxy   : {added:6.2f} ms  (bar: <= {BAR_MS:g} ms;"
          f" {'met' if added <= BAR_MS else 'NOT met'})")


if __name__ == "__main__":
    main()
