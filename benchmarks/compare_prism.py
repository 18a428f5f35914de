"""This mock side by side with Prism: ``python benchmarks/compare_prism.py``.

Starts ``mockserver serve`` and Stoplight Prism (``prism mock``, npm ``@stoplight/prism-cli``
pinned below) on the same specs (``specs/musicgpt.yaml``, ``specs/muzaic.yaml``), one server
per spec on each side, all on 127.0.0.1, and loads both with the same tool in alternation:
``wrk -t1 -c32 -d8s --latency`` when wrk is installed (Debian: ``apt-get install -y wrk``),
else a bounded Python asyncio loader with the same 32 keep-alive connections (slower than wrk:
on a small machine it takes CPU from the server, so its figures are lower for both sides).

The three requests of issue 13, with the same header keys for both servers:

- poll ``GET /v1/byId`` (MusicGPT): a finished task's id for the mock (instant clock); Prism
  answers its example;
- ``GET /accountDetails`` (Muzaic);
- an invalid ``POST /soundtrack`` (Muzaic; ``regions[0].time`` below its minimum): 4xx from both.

Two pairings: the mock with one worker against Prism single-process, then the mock with
``--workers 2`` (when ``mockserver serve`` has that option) against Prism ``-m`` (its
multiprocess mode). Each figure is the median of ``--pairs`` alternating runs (the side that
goes first alternates too). Prints req/s and p50 latency for both and the ratio mock/Prism.

Prism is installed once into ``~/.cache/mockserver-bench/prism`` (``$MOCKSERVER_BENCH_CACHE``
overrides; never inside the repository). About 6 minutes with the defaults.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mockserver.testing.servers import ServerProcess, free_port  # noqa: E402

PRISM_PACKAGE = "@stoplight/prism-cli"
PRISM_VERSION = "5.14.2"  # the 5.14 line the issue measured against (5.14.2 is its only release)
CACHE = Path(os.environ.get("MOCKSERVER_BENCH_CACHE",
                            Path.home() / ".cache" / "mockserver-bench")) / "prism"
KEY = "bench-key"
WARMUP_SECONDS = 2
# Issue 13's bars: single worker >= 1.0 x Prism, two workers >= 1.2 x Prism -m
BARS = {"single": 1.0, "workers": 1.2}


@dataclass(frozen=True)
class Request:
    """One benchmarked request: which spec serves it and what is sent."""

    name: str
    spec: str
    method: str
    path: str  # below the provider's base (the mock's base path is put in front of it)
    headers: dict[str, str]
    body: str = ""
    expect_ok: bool = True  # a 2xx from both servers, else a 4xx from both


@dataclass(frozen=True)
class Figure:
    """One load run: requests per second, median latency, and how many answers were off."""

    rate: float
    p50_ms: float
    off: int  # answers of the wrong class (2xx expected and not, or the reverse), socket errors
    # and wrk's timeouts (no answer within 2 s)


@dataclass(frozen=True)
class Side:
    """A running server set: one base URL per spec."""

    label: str
    bases: dict[str, str]


# --- Prism -------------------------------------------------------------------------------

def prism_binary() -> Path:
    """The pinned Prism CLI, installed into the cache directory with npm when missing."""
    binary = CACHE / "node_modules" / ".bin" / "prism"
    if binary.exists():
        said = subprocess.run([str(binary), "--version"], capture_output=True, text=True).stdout
        if said.strip() == PRISM_VERSION:
            return binary
    if shutil.which("npm") is None:
        sys.exit("npm is needed to install Prism (Node.js 18 or newer)")
    print(f"installing {PRISM_PACKAGE}@{PRISM_VERSION} into {CACHE} ...", flush=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(CACHE),
                    f"{PRISM_PACKAGE}@{PRISM_VERSION}"], check=True, stdout=subprocess.DEVNULL)
    return binary


@contextlib.contextmanager
def prism_server(binary: Path, spec: str, multiprocess: bool, log: str) -> Iterator[str]:
    """``prism mock SPEC`` (``-m`` for its multiprocess mode) on a free port; yields its URL.
    ``log`` is its ``-v`` level (its default, info, writes several lines per request)."""
    port = free_port()
    args = [str(binary), "mock", "-h", "127.0.0.1", "-p", str(port), "-v", log,
            str(ROOT / "specs" / spec)]
    # its own process group: with -m Prism forks its HTTP server, and both must stop
    proc = subprocess.Popen(args + (["-m"] if multiprocess else []), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_answering(url, proc)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_answering(url: str, proc: subprocess.Popen[bytes]) -> None:
    """Block until ``url`` answers anything over HTTP; RuntimeError if ``proc`` ends first."""
    deadline = time.monotonic() + 60
    with httpx.Client(timeout=1) as client:
        while time.monotonic() < deadline and proc.poll() is None:
            with contextlib.suppress(httpx.TransportError):
                client.get(url + "/")
                return
            time.sleep(0.1)
    raise RuntimeError(f"Prism did not start on {url}")


# --- this mock ---------------------------------------------------------------------------

def serve_has_workers() -> bool:
    """Whether this checkout's ``mockserver serve`` has ``--workers``."""
    said = subprocess.run([sys.executable, "-m", "mockserver.cli", "serve", "--help"],
                          capture_output=True, text=True, cwd=ROOT).stdout
    return "--workers" in said


@contextlib.contextmanager
def mock_servers(workers: int, tmp: Path) -> Iterator[dict[str, str]]:
    """One ``mockserver serve --provider X`` per spec (state in a file, as by default);
    yields each spec's base URL (MusicGPT keeps its server path, /api/public)."""
    extra = ["--workers", str(workers)] if workers > 1 else []
    with ServerProcess(["--provider", "musicgpt", "--clock", "instant",
                        "--state", str(tmp / f"musicgpt-{workers}.db"), *extra], cwd=ROOT) as mgpt, \
            ServerProcess(["--provider", "muzaic", "--state", str(tmp / f"muzaic-{workers}.db"),
                           *extra], cwd=ROOT) as muzaic:
        yield {"musicgpt.yaml": mgpt.url + "/api/public", "muzaic.yaml": muzaic.url}


def finished_task(base: str) -> str:
    """A MusicGPT sound generation submitted on the mock and polled once (instant clock)."""
    auth = {"Authorization": KEY}
    with httpx.Client(base_url=base, headers=auth, timeout=60) as client:
        submitted = client.post("/v1/sound_generator", data={"prompt": "rain", "audio_length": "2"})
        task: str = submitted.json()["task_id"]
        polled = client.get("/v1/byId", params={"conversionType": "SOUND_GENERATOR", "task_id": task})
        assert polled.json()["conversion"]["status"] == "COMPLETED", polled.text
    return task


def requests_for(task: str) -> list[Request]:
    """The issue's three requests, the poll naming ``task``."""
    muzaic = {"MuzaicAPI-Secret-Key": KEY}
    return [
        Request("poll GET /v1/byId", "musicgpt.yaml", "GET",
                f"/v1/byId?conversionType=SOUND_GENERATOR&task_id={task}", {"Authorization": KEY}),
        Request("GET /accountDetails", "muzaic.yaml", "GET", "/accountDetails", muzaic),
        Request("invalid POST /soundtrack", "muzaic.yaml", "POST", "/soundtrack",
                {**muzaic, "Content-Type": "application/json"},
                body='{"regions": [{"time": -1, "duration": 10, "action": "generate"}]}',
                expect_ok=False),
    ]


# --- loaders -----------------------------------------------------------------------------

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(url: str, request: Request, seconds: float, connections: int, tmp: Path) -> Figure:
    """``wrk -t1 -cN -dS --latency`` on one request; its summary parsed."""
    script = tmp / "request.lua"
    body = request.body.replace("\\", "\\\\").replace("'", "\\'")
    script.write_text(f"wrk.method = '{request.method}'\nwrk.body = '{body}'\n")
    headers = [arg for key, value in request.headers.items() for arg in ("-H", f"{key}: {value}")]
    said = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency",
                           "-s", str(script), *headers, url], capture_output=True, text=True,
                          check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", said).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", said)
    total = int(re.search(r"(\d+) requests in", said).group(1))  # type: ignore[union-attr]
    non_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", said)
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", said))
    wrong = (int(non_ok.group(1)) if non_ok else 0) if request.expect_ok else \
        total - (int(non_ok.group(1)) if non_ok else 0)
    assert p50 is not None, said
    return Figure(rate, float(p50.group(1)) * UNITS_MS[p50.group(2)], wrong + errors)


async def _keep_alive(host: str, port: int, raw: bytes, until: float, expect_ok: bool,
                      latencies: list[float], wrong: list[int]) -> None:
    """One connection sending ``raw`` again and again until ``until`` (perf_counter)."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < until:
            sent = time.perf_counter()
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            match = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
            await reader.readexactly(int(match.group(1)) if match else 0)
            latencies.append(time.perf_counter() - sent)
            if (head[9:10] == b"2") != expect_ok:
                wrong.append(1)
    finally:
        writer.close()


def run_python(url: str, request: Request, seconds: float, connections: int, tmp: Path) -> Figure:
    """The fallback loader: ``connections`` keep-alive connections for ``seconds``."""
    parsed = httpx.URL(url)
    target = parsed.raw_path.decode()
    lines = [f"{request.method} {target} HTTP/1.1", f"Host: {parsed.host}:{parsed.port}",
             *(f"{key}: {value}" for key, value in request.headers.items()),
             f"Content-Length: {len(request.body.encode())}"]
    raw = ("\r\n".join(lines) + "\r\n\r\n" + request.body).encode()
    latencies: list[float] = []
    wrong: list[int] = []

    async def load() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(_keep_alive(parsed.host, parsed.port or 80, raw, started + seconds,
                                           request.expect_ok, latencies, wrong)
                               for _ in range(connections)))
        return time.perf_counter() - started

    elapsed = asyncio.run(load())
    return Figure(len(latencies) / elapsed, statistics.median(latencies) * 1000, len(wrong))


# --- the comparison ----------------------------------------------------------------------

def compare(pairing: str, mock: Side, prism: Side, requests: list[Request], args: argparse.Namespace,
            tmp: Path) -> list[str]:
    """Warm both up, run ``args.pairs`` alternating pairs per request; print and return the
    README-ready table rows."""
    loader = run_wrk if args.loader == "wrk" else run_python
    bar = BARS[pairing] if pairing in BARS else None
    rows = []
    print(f"\n== {mock.label}  vs  {prism.label}", flush=True)
    for request in requests:
        for side in (mock, prism):
            loader(side.bases[request.spec] + request.path, request, WARMUP_SECONDS,
                   args.connections, tmp)
        runs: dict[str, list[Figure]] = {mock.label: [], prism.label: []}
        for index in range(args.pairs):
            order = (mock, prism) if index % 2 == 0 else (prism, mock)
            for side in order:
                figure = loader(side.bases[request.spec] + request.path, request, args.duration,
                                args.connections, tmp)
                runs[side.label].append(figure)
        ours, theirs = runs[mock.label], runs[prism.label]
        rate = statistics.median(f.rate for f in ours)
        their_rate = statistics.median(f.rate for f in theirs)
        p50 = statistics.median(f.p50_ms for f in ours)
        their_p50 = statistics.median(f.p50_ms for f in theirs)
        off = sum(f.off for f in ours + theirs)
        ratio = rate / their_rate
        verdict = "" if bar is None else (" met" if ratio >= bar else " NOT met")
        print(f"{request.name:<26} mock {rate:7.0f} req/s p50 {p50:6.2f} ms | Prism {their_rate:7.0f}"
              f" req/s p50 {their_p50:6.2f} ms | ratio {ratio:4.2f}x"
              + (f" (bar {bar:g}x:{verdict})" if bar else "")
              + (f"  [{off} wrong answers, socket errors or timeouts]" if off else ""), flush=True)
        print("    pairs (req/s): mock " + ", ".join(f"{f.rate:.0f}" for f in ours)
              + "; Prism " + ", ".join(f"{f.rate:.0f}" for f in theirs), flush=True)
        rows.append(f"| {mock.label} vs {prism.label} | {request.name} | {rate:,.0f} | {their_rate:,.0f}"
                    f" | {ratio:.2f}x | {p50:.2f} | {their_p50:.2f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=3, help="alternating pairs per figure (3)")
    parser.add_argument("--duration", type=float, default=8, help="seconds per run (8)")
    parser.add_argument("--connections", type=int, default=32, help="keep-alive connections (32)")
    parser.add_argument("--loader", choices=["wrk", "python"],
                        default="wrk" if shutil.which("wrk") else "python")
    parser.add_argument("--prism-log", default="info",
                        help="Prism's -v level: info (its default) or e.g. silent (its fastest)")
    args = parser.parse_args()
    if args.loader == "python":
        print("wrk not found (Debian/Ubuntu: apt-get install -y wrk; macOS: brew install wrk):"
              " using the Python asyncio loader, which shares the CPU with the servers", flush=True)
    binary = prism_binary()
    workers = 2 if serve_has_workers() else 1
    print(f"Prism {PRISM_VERSION}, loader {args.loader} ({args.connections} connections,"
          f" {args.duration:g} s runs, median of {args.pairs} pairs), Prism -v {args.prism_log};"
          f" {os.cpu_count()} CPUs,"
          f" load average {os.getloadavg()[0]:.2f}", flush=True)
    if workers == 1:
        print("mockserver serve has no --workers here: Prism -m is compared with one worker")
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        for pairing, count, multiprocess in (("single", 1, False),
                                             ("workers" if workers > 1 else "single-vs-m",
                                              workers, True)):
            with mock_servers(count, tmp) as mock_bases, contextlib.ExitStack() as stack:
                prism_bases = {spec: stack.enter_context(prism_server(binary, spec, multiprocess,
                                                                     args.prism_log))
                               for spec in ("musicgpt.yaml", "muzaic.yaml")}
                requests = requests_for(finished_task(mock_bases["musicgpt.yaml"]))
                mock = Side(f"mock {count} worker{'s' if count > 1 else ''}", mock_bases)
                prism = Side("Prism -m" if multiprocess else "Prism", prism_bases)
                rows += compare(pairing, mock, prism, requests, args, tmp)
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    print("\n| pairing | request | mock req/s | Prism req/s | ratio | mock p50 ms | Prism p50 ms |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
