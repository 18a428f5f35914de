"""Memory bounds of a ``mockserver serve`` process on 127.0.0.1 (RSS read from /proc).

(a) Rate-limit buckets: RSS after 10,000 requests from 100 distinct keys vs from 10,000
    distinct keys (Music Gen AI's documented 100 requests/min per key), measured inside the
    window and after the manual clock has moved past it. Target: within 10 %.
(b) Renders: peak RSS while N clients ask for distinct 1,200 s Muzaic soundtracks at once,
    with the render cap (``memory.max_concurrent_renders``); with ``--retry`` refused clients
    retry after ``Retry-After`` until every soundtrack is made; with ``--no-cap`` the same
    load runs with the cap lifted too, for comparison. ``GET /_mock/health`` is timed
    meanwhile (renders run off the event loop).
(c) Memory handed back after large renders: RSS once renders are done, with
    ``memory.trim_after_render_mb`` on (default) and off.

``python benchmarks/bench_memory.py [--keys-only | --renders-only] [--clients 20]
[--seconds 1200] [--retry] [--no-cap]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml
from bench_http import free_port, start_server

RATE_LIMIT = 100  # Music Gen AI: requests per minute per key
REQUESTS = 10_000
LONG_KEY_BYTES = 30_000  # the probe: 4,000 such keys kept 127 MB
CONNECTIONS = 16
DEADLINE_SECONDS = 900.0


def status_mb(pid: int, field: str) -> float:
    """A ``/proc/<pid>/status`` memory field (VmRSS, VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def serve(tmp: str, name: str, config: dict | None = None, clock: str = "manual"):
    """A ``mockserver serve`` child on a free port: (process, base URL)."""
    port = free_port()
    extra = ["--clock", clock]
    if config:
        path = os.path.join(tmp, f"{name}.yaml")
        Path(path).write_text(yaml.safe_dump(config))
        extra += ["--config", path]
    return start_server(os.path.join(tmp, f"{name}.db"), port, extra), f"http://127.0.0.1:{port}"


def stop(proc) -> None:
    proc.terminate()
    proc.wait(timeout=30)


# --- (a) rate-limit buckets ----------------------------------------------------------------
async def _connection(port: int, keys: list[str], statuses: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for key in keys:
            writer.write((f"GET /musicgen/api/v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          f"Authorization: Bearer {key}\r\n\r\n").encode())
            await writer.drain()
            statuses.append(int((await reader.readline()).split()[1]))
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
    finally:
        writer.close()


async def _requests(port: int, keys: list[str]) -> list[int]:
    statuses: list[int] = []
    shares = [keys[i::CONNECTIONS] for i in range(CONNECTIONS)]
    await asyncio.gather(*(_connection(port, share, statuses) for share in shares))
    return statuses


def keys_run(tmp: str, distinct: int, key_bytes: int = 36,
             requests: int = REQUESTS) -> dict[str, float]:
    """RSS after ``requests`` requests spread over ``distinct`` keys of ``key_bytes``
    characters, in and after the window."""
    proc, base = serve(tmp, f"keys{distinct}-{key_bytes}")
    try:
        port = int(base.rsplit(":", 1)[1])
        asyncio.run(_requests(port, [f"warm-{i}" for i in range(100)]))
        start = status_mb(proc.pid, "VmRSS")
        keys = [f"mgk_{i:06d}_".ljust(key_bytes, "x") for i in range(distinct)]
        statuses = asyncio.run(_requests(port, keys * (requests // distinct)))
        in_window = status_mb(proc.pid, "VmRSS")
        httpx.post(base + "/_mock/clock/advance", json={"seconds": 61})
        asyncio.run(_requests(port, ["after-window"]))  # the next hit sweeps idle buckets
        after = status_mb(proc.pid, "VmRSS")
    finally:
        stop(proc)
    refused = sum(1 for s in statuses if s == 429)
    return {"start": start, "in_window": in_window, "after_window": after, "refused": refused}


def bench_keys() -> None:
    print(f"(a) rate-limit buckets: {REQUESTS} requests to Music Gen AI GET /models,"
          f" {CONNECTIONS} connections, manual clock")
    with tempfile.TemporaryDirectory() as tmp:
        few, many = keys_run(tmp, 100), keys_run(tmp, 10_000)
        long = keys_run(tmp, 4_000, LONG_KEY_BYTES, 4_000)
    for name, run in (("100 keys", few), ("10,000 keys", many),
                      (f"4,000 keys of {LONG_KEY_BYTES // 1000} kB", long)):
        print(f"  {name:<20} RSS start {run['start']:6.1f} MB, after requests (in window)"
              f" {run['in_window']:6.1f} MB, after the window {run['after_window']:6.1f} MB"
              f"  ({run['refused']:.0f} refused)")
    for moment in ("in_window", "after_window"):
        ratio = many[moment] / few[moment]
        verdict = "OK" if ratio <= 1.10 else "MISSED"
        print(f"  10,000 vs 100 keys, {moment.replace('_', ' ')}: x{ratio:.3f}"
              f" (target <= x1.10: {verdict})")


# --- (b) and (c) renders --------------------------------------------------------------------
def soundtrack(index: int, seconds: float) -> dict:
    """A distinct soundtrack request (so no two share a cached render)."""
    return {"regions": [{"time": 0, "duration": seconds, "params": {
        "intensity": 1 + index % 9, "tempo": 1 + (index // 9) % 9, "tone": 1 + index % 7}}]}


async def _client(client: httpx.AsyncClient, index: int, seconds: float, retry: bool,
                  tally: dict[str, int]) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        response = await client.post("/muzaic/soundtrack", json=soundtrack(index, seconds))
        tally[str(response.status_code)] = tally.get(str(response.status_code), 0) + 1
        if response.status_code != 429 or not retry:
            return
        await asyncio.sleep(float(response.headers.get("retry-after", "1")))


async def _health_latencies(base: str, stop: asyncio.Event, out: list[float]) -> None:
    """``GET /_mock/health`` twice a second while renders run: the event loop stays free."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        while not stop.is_set():
            started = time.perf_counter()
            await client.get("/_mock/health")
            out.append(time.perf_counter() - started)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)


async def _clients(base: str, clients: int, seconds: float, retry: bool,
                   health: list[float]) -> dict[str, int]:
    tally: dict[str, int] = {}
    stop = asyncio.Event()
    poller = asyncio.create_task(_health_latencies(base, stop, health))
    # No keep-alive: a client waiting out Retry-After would find its pooled connection closed
    # by the server's keep-alive timeout.
    async with httpx.AsyncClient(base_url=base, timeout=DEADLINE_SECONDS,
                                 limits=httpx.Limits(max_keepalive_connections=0),
                                 headers={"MuzaicAPI-Secret-Key": "bench-key"}) as client:
        await asyncio.gather(*(_client(client, i, seconds, retry, tally)
                               for i in range(clients)))
    stop.set()
    await poller
    return tally


def renders_run(tmp: str, name: str, clients: int, seconds: float, retry: bool,
                memory: dict | None = None) -> dict[str, object]:
    """Peak and final RSS of a server making ``clients`` soundtracks at once."""
    proc, base = serve(tmp, name, {"memory": memory} if memory else None, clock="real")
    try:
        start = status_mb(proc.pid, "VmRSS")
        started = time.perf_counter()
        health: list[float] = []
        tally = asyncio.run(_clients(base, clients, seconds, retry, health))
        elapsed = time.perf_counter() - started
        return {"start": start, "peak": status_mb(proc.pid, "VmHWM"),
                "after": status_mb(proc.pid, "VmRSS"), "tally": tally, "elapsed": elapsed,
                "health_p50": statistics.median(health), "health_max": max(health)}
    finally:
        stop(proc)


def bench_renders(clients: int, seconds: float, retry: bool, no_cap: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        runs = [("cap 4 (default)", None)]
        if no_cap:
            runs.append((f"cap {clients} (no cap for this load)",
                         {"max_concurrent_renders": clients}))
        print(f"(b) {clients} clients at once, each a distinct {seconds:g} s Muzaic soundtrack"
              + (" (refused ones retry after Retry-After)" if retry else " (one wave)"))
        for label, memory in runs:
            run = renders_run(tmp, f"renders{len(label)}", clients, seconds, retry, memory)
            print(f"  {label:<32} peak RSS {run['peak']:7.1f} MB, after {run['after']:7.1f} MB"
                  f" (start {run['start']:.1f} MB), statuses {run['tally']},"
                  f" {run['elapsed']:.0f} s; GET /_mock/health meanwhile p50"
                  f" {run['health_p50'] * 1000:.0f} ms, max {run['health_max'] * 1000:.0f} ms")
        print("(c) RSS after 4 concurrent renders, memory handed back after large renders or not")
        for label, memory in (("trim on (default, >= 8 MB)", None),
                              ("trim off (trim_after_render_mb: 0)",
                               {"trim_after_render_mb": 0})):
            run = renders_run(tmp, f"trim{len(label)}", 4, seconds, False, memory)
            print(f"  {label:<36} after {run['after']:7.1f} MB, peak {run['peak']:7.1f} MB,"
                  f" statuses {run['tally']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys-only", action="store_true")
    parser.add_argument("--renders-only", action="store_true")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=1200.0)
    parser.add_argument("--retry", action="store_true",
                        help="refused clients retry after Retry-After until all are made")
    parser.add_argument("--no-cap", action="store_true",
                        help="also run the load with the cap lifted, for comparison")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    if not args.renders_only:
        bench_keys()
    if not args.keys_only:
        bench_renders(args.clients, args.seconds, args.retry, args.no_cap)


if __name__ == "__main__":
    main()
