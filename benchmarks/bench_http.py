"""HTTP figures on 127.0.0.1: repeat-request (cache) latency and req/s under load.

Starts ``mockserver serve`` as its own process (one uvicorn worker) and drives it from an
asyncio keep-alive client with a fixed number of connections for a fixed number of requests.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import httpx

KEY = "bench-key"
CONNECTIONS = 32
REQUESTS = 6000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(state: str, port: int, extra: list[str] | None = None) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockserver.cli", "serve", "--port", str(port), "--state", state,
         *(extra or [])],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/_mock/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def raw_request(method: str, path: str, body: bytes = b"") -> bytes:
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nMuzaicAPI-Secret-Key: {KEY}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def _connection(port: int, request: bytes, count: int, statuses: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for _ in range(count):
        writer.write(request)
        await writer.drain()
        status_line = await reader.readline()
        statuses.append(int(status_line.split()[1]))
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
    writer.close()


async def load(port: int, request: bytes, total: int = REQUESTS) -> tuple[float, list[int]]:
    statuses: list[int] = []
    per = total // CONNECTIONS
    started = time.perf_counter()
    await asyncio.gather(*(_connection(port, request, per, statuses) for _ in range(CONNECTIONS)))
    return len(statuses) / (time.perf_counter() - started), statuses


def repeat_latency(base: str) -> tuple[float, float]:
    body = {"regions": [{"time": 0, "duration": 60, "action": "generate"}]}
    with httpx.Client(base_url=base, headers={"MuzaicAPI-Secret-Key": KEY}, timeout=60) as c:
        started = time.perf_counter()
        assert c.post("/soundtrack", json=body).status_code == 200
        first = time.perf_counter() - started
        timings = []
        for _ in range(20):
            started = time.perf_counter()
            assert c.post("/soundtrack", json=body).status_code == 200
            timings.append(time.perf_counter() - started)
    return first, statistics.median(timings)


def main() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}/muzaic"
    with tempfile.TemporaryDirectory() as tmp:
        proc = start_server(os.path.join(tmp, "state.db"), port)
        try:
            first, repeat = repeat_latency(base)
            print(f"POST /soundtrack 60 s, first request        {first * 1000:8.1f} ms")
            print(f"POST /soundtrack 60 s, repeat (cache), p50  {repeat * 1000:8.1f} ms"
                  f"   target <= 5 ms (includes ~1.3 MB JSON transfer)")
            invalid = raw_request("POST", "/muzaic/soundtrack",
                                  json.dumps({"regions": [{"time": -1}]}).encode())
            account = raw_request("GET", "/muzaic/accountDetails")
            for name, request in [("invalid POST /soundtrack (400)", invalid),
                                  ("GET /accountDetails (200)", account)]:
                asyncio.run(load(port, request, 500))  # warm-up
                rate, statuses = asyncio.run(load(port, request))
                kinds = sorted(set(statuses))
                print(f"{name:<34} {rate:8.0f} req/s  ({len(statuses)} requests,"
                      f" {CONNECTIONS} connections, statuses {kinds})")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
