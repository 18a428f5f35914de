"""Input-guard figures: ``python benchmarks/bench_input.py``.

Starts ``mockserver serve`` as its own process and prints:
- the server's peak memory for a 30 MB body of empty objects (``[{},{},...]``) sent to
  Muzaic's ``POST /soundtrack``, with ``Content-Length`` and chunked; the target is a spike
  of at most 2x the body size (before the guard the same request peaked at 988 MB);
- ``/_mock/health`` latency while three bodies just under the body limit are validated
  (seconds of schema validation each, run off the event loop).

Peak memory is the process's ``VmHWM`` (Linux), reset through ``/proc/<pid>/clear_refs``
just before each request, minus its ``VmRSS`` at that moment.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from bench_http import free_port, start_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mockserver.core.settings import InputLimits  # noqa: E402

HEADERS = {"MuzaicAPI-Secret-Key": "bench-input", "Content-Type": "application/json"}
BODY = b"[" + b"{}," * (10 * 1024 * 1024) + b"{}]"  # 30 MiB of empty objects
MB = 1_000_000


def memory_kb(pid: int, field: str) -> int:
    """A ``VmRSS``/``VmHWM`` figure of a process, in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def chunks(data: bytes, size: int = 65536) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


def spike(pid: int, url: str, content: bytes | Iterator[bytes]) -> tuple[int, float, float]:
    """(status, seconds, peak memory above the resting RSS in MB) of one request."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    resting = memory_kb(pid, "VmRSS")
    started = time.perf_counter()
    status = httpx.post(url, content=content, headers=HEADERS, timeout=120).status_code
    elapsed = time.perf_counter() - started
    return status, elapsed, (memory_kb(pid, "VmHWM") - resting) * 1000 / MB


def heavy_body(limits: InputLimits) -> bytes:
    region = (b'{"time": 0, "duration": 1, "tags": [1, 2], "params": {"intensity":'
              b' [[0, 1], [50, 5], [100, 9]], "tone": [[0, 1], [100, 9]]}}')
    count = min((limits.body_bytes - 20) // (len(region) + 2), limits.items - 1)
    return b'{"regions": [' + b", ".join([region] * count) + b"]}"


def health_while_validating(base: str, senders: int = 3) -> tuple[list[float], float]:
    """Health latencies while ``senders`` heavy bodies are validated; and their duration."""
    body = heavy_body(InputLimits())
    threads = [threading.Thread(target=lambda: httpx.post(
        base + "/muzaic/soundtrack", content=body, headers=HEADERS, timeout=300))
        for _ in range(senders)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    latencies = []
    while any(thread.is_alive() for thread in threads):
        t = time.perf_counter()
        httpx.get(base + "/_mock/health", timeout=30)
        latencies.append(time.perf_counter() - t)
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started


def report(pid: int, base: str) -> None:
    """Print every figure of a running server."""
    url = base + "/muzaic/soundtrack"
    for _ in range(3):  # warm up: imports, first validation, first refusal
        httpx.post(url, content=b'{"regions": []}', headers=HEADERS)
        httpx.post(url, content=BODY[:2 * 1024 * 1024], headers=HEADERS)
    size = len(BODY) / MB
    print(f"30 MB body of empty objects ({size:.1f} MB), server resting at"
          f" {memory_kb(pid, 'VmRSS') / 1000:.0f} MB;"
          f" target: spike <= {2 * size:.0f} MB (2x the body)")
    for name, content in (("Content-Length", BODY), ("chunked", chunks(BODY))):
        status, seconds, peak = spike(pid, url, content)
        print(f"  {name:<15} -> {status} in {seconds:.2f} s,"
              f" peak memory +{peak:.1f} MB ({peak / size:.2f}x the body)")
    idle = []
    for _ in range(50):
        t = time.perf_counter()
        httpx.get(base + "/_mock/health", timeout=30)
        idle.append(time.perf_counter() - t)
    print(f"/_mock/health idle: p50 {statistics.median(idle) * 1000:.0f} ms,"
          f" max {max(idle) * 1000:.0f} ms")
    latencies, busy = health_while_validating(base)
    print(f"/_mock/health while 3 bodies of {len(heavy_body(InputLimits())) / MB:.2f} MB"
          f" are validated ({busy:.1f} s): {len(latencies)} answers,"
          f" p50 {statistics.median(latencies) * 1000:.0f} ms,"
          f" max {max(latencies) * 1000:.0f} ms (target: max < 1000 ms)")


def main() -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        proc = start_server(str(Path(tmp) / "state.db"), port, ["--clock", "manual"])
        try:
            report(proc.pid, f"http://127.0.0.1:{port}")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
