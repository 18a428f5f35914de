"""Asynchronous providers on 127.0.0.1: req/s of the poll endpoints, webhook deliveries/s.

Starts ``mockserver serve`` as its own process for each part and drives it with the same
keep-alive load generator as ``bench_http.py``.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from bench_http import CONNECTIONS, free_port, load, start_server

SOUNDPIECE_KEY = "spk_bench"
MUSICGPT_KEY = "bench-key"
WEBHOOKS = 300


def raw_get(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def poll_rates(port: int) -> None:
    base = f"http://127.0.0.1:{port}"
    gpt = httpx.post(base + "/musicgpt/api/public/v1/sound_generator",
                     headers={"Authorization": MUSICGPT_KEY},
                     data={"prompt": "bench", "audio_length": "5"}).json()
    sp = httpx.put(base + "/soundpiece/v1/create.remix_song",
                   headers={"Authorization": f"Bearer {SOUNDPIECE_KEY}"},
                   json={"idempotency_key": str(uuid.uuid4()), "source": {"url": "x"},
                         "lyrics": "[Verse]\nla", "prompt": "bench"}).json()
    polls = [
        ("GET /musicgpt .../v1/byId", raw_get(
            f"/musicgpt/api/public/v1/byId?conversionType=SOUND_GENERATOR&task_id={gpt['task_id']}",
            {"Authorization": MUSICGPT_KEY})),
        ("GET /soundpiece/v1/create.remix_song", raw_get(
            f"/soundpiece/v1/create.remix_song?id={sp['remix_song']['id']}",
            {"Authorization": f"Bearer {SOUNDPIECE_KEY}"})),
    ]
    for name, request in polls:
        asyncio.run(load(port, request, 500))
        rate, statuses = asyncio.run(load(port, request))
        print(f"{name:<38} {rate:8.0f} req/s  ({len(statuses)} requests, {CONNECTIONS}"
              f" connections, statuses {sorted(set(statuses))})")


class _Counter(BaseHTTPRequestHandler):
    received = 0
    done = threading.Event()
    lock = threading.Lock()

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()
        with _Counter.lock:
            _Counter.received += 1
            if _Counter.received >= WEBHOOKS:
                _Counter.done.set()

    def log_message(self, *args: object) -> None:
        pass


class _Receiver(ThreadingHTTPServer):
    request_queue_size = 1024  # the default backlog of 5 drops connections under a burst
    daemon_threads = True


def webhook_rate(port: int) -> None:
    receiver = _Receiver(("127.0.0.1", 0), _Counter)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, headers={"Authorization": MUSICGPT_KEY}) as client:
        for i in range(WEBHOOKS):
            client.post("/musicgpt/api/public/v1/sound_generator",
                        data={"prompt": f"hook {i}", "audio_length": "1", "webhook_url": hook})
        started = time.perf_counter()
        client.post("/_mock/clock/advance", json={"seconds": 3600})
        finished = _Counter.done.wait(120)
        elapsed = time.perf_counter() - started
    receiver.shutdown()
    state = "all delivered" if finished else f"only {_Counter.received} delivered"
    print(f"webhook deliveries (manual clock, {WEBHOOKS} at once) {WEBHOOKS / elapsed:8.0f}"
          f" deliveries/s  ({state} in {elapsed:.2f} s)")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for clock, part in (("instant", poll_rates), ("manual", webhook_rate)):
            port = free_port()
            proc = start_server(os.path.join(tmp, f"{clock}.db"), port, ["--clock", clock])
            try:
                part(port)
            finally:
                proc.terminate()
                proc.wait(timeout=10)


if __name__ == "__main__":
    main()
