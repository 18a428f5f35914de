"""Benchmark of the audio engine: ``python benchmarks/bench_audio.py``.

Prints plan/render/MP3 timings for 60 s and 1,200 s of music, the peak memory
of the 1,200 s run (measured in fresh subprocesses), and cache hit latency.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import lameenc  # noqa: E402

from mockserver.audio import ByteCache, MusicSource, encode_mp3, features_from_params, iter_chunks, plan  # noqa: E402
from mockserver.audio.encode import to_pcm16  # noqa: E402
from mockserver.audio.instruments import clear_caches  # noqa: E402

SR = 44100
FEATURES = {"intensity": [[0, 3], [50, 8], [100, 6]], "tempo": 6, "rhythm": 6, "tone": 6, "variance": 5}
TAGS = [1, 11]


def _timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def bench_60s(repeat: int = 5) -> dict[str, float]:
    f = features_from_params(FEATURES, TAGS)
    seeds = iter(range(1000, 2000))

    def synth_cold() -> None:
        clear_caches()
        p = plan(f, 60.0, next(seeds))
        p.render(0, p.num_samples)

    def synth_warm() -> None:
        p = plan(f, 60.0, 7)
        p.render(0, p.num_samples)

    def mp3_cold() -> None:
        clear_caches()
        encode_mp3(MusicSource(plan(f, 60.0, next(seeds))))

    def mp3_warm() -> None:
        encode_mp3(MusicSource(plan(f, 60.0, 7)))

    pcm = [to_pcm16(c).tobytes() for c in iter_chunks(MusicSource(plan(f, 60.0, 7)))]

    def lame_only() -> None:
        enc = lameenc.Encoder()
        enc.set_bit_rate(128)
        enc.set_in_sample_rate(SR)
        enc.set_channels(2)
        enc.set_quality(7)
        for c in pcm:
            enc.encode(c)
        enc.flush()

    synth_warm()  # imports, FFT plans, first allocations
    return {
        "lameenc alone (pre-rendered PCM)": statistics.median(_timed(lame_only, repeat)),
        "plan+render cold cache": statistics.median(_timed(synth_cold, repeat)),
        "plan+render warm cache": statistics.median(_timed(synth_warm, repeat)),
        "plan+render+mp3 cold cache": statistics.median(_timed(mp3_cold, repeat)),
        "plan+render+mp3 warm cache": statistics.median(_timed(mp3_warm, repeat)),
    }


_CHILD = """
import json, resource, sys, time, tracemalloc
sys.path.insert(0, {root!r})
from mockserver.audio import MusicSource, encode_mp3, features_from_params, plan
f = features_from_params({features!r}, {tags!r})
trace = {trace!r}
if trace:
    tracemalloc.start()
t0 = time.perf_counter()
p = plan(f, 1200.0, 1)
t1 = time.perf_counter()
n = 0
for a in range(0, p.num_samples, 1 << 16):
    n += len(p.render(a, min(p.num_samples, a + (1 << 16))))
t2 = time.perf_counter()
mp3 = encode_mp3(MusicSource(p))
t3 = time.perf_counter()
res = {{"plan": t1 - t0, "render": t2 - t1, "plan+render+mp3": (t1 - t0) + (t3 - t2), "mp3_bytes": len(mp3),
       "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}
if trace:
    res["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
print(json.dumps(res))
"""


def bench_1200s() -> dict[str, float]:
    out: dict[str, float] = {}
    for trace in (False, True):
        code = _CHILD.format(root=str(ROOT), features=FEATURES, tags=TAGS, trace=trace)
        res = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                        check=True, env=dict(os.environ)).stdout)
        if trace:
            out["tracemalloc peak MB (traced run)"] = res["tracemalloc_peak_mb"]
        else:
            out.update({
                "plan": res["plan"],
                "render (chunked, no encode)": res["render"],
                "plan+render+mp3": res["plan+render+mp3"],
                "peak RSS MB": res["maxrss_mb"],
                "mp3 MB": res["mp3_bytes"] / 1e6,
            })
    return out


def bench_cache(n: int = 200_000) -> dict[str, float]:
    c: ByteCache[bytes] = ByteCache(64 * 2**20)
    blob = bytes(1_000_000)
    c.put("k", blob)
    t = time.perf_counter()
    for _ in range(n):
        c.get("k")
    get_us = (time.perf_counter() - t) / n * 1e6
    t = time.perf_counter()
    for _ in range(n):
        c.get_or_create("k", lambda: blob)
    goc_us = (time.perf_counter() - t) / n * 1e6
    return {"get hit (us)": get_us, "get_or_create hit (us)": goc_us}


def main() -> None:
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    r60 = bench_60s()
    print("60 s of music (median of 5):")
    for k, v in r60.items():
        print(f"  {k:32s} {v * 1000:8.1f} ms")
    ok60 = r60["plan+render+mp3 cold cache"] <= 0.35
    print(f"  target plan+render+mp3 <= 350 ms: {'OK' if ok60 else 'MISSED'}")
    r1200 = bench_1200s()
    print("1,200 s of music (fresh subprocesses):")
    for k, v in r1200.items():
        unit = "MB" if "MB" in k else "s"
        print(f"  {k:32s} {v:8.2f} {unit}")
    ok_t = r1200["plan+render+mp3"] <= 8.0
    ok_m = r1200["peak RSS MB"] <= 200
    print(f"  target <= 8 s: {'OK' if ok_t else 'MISSED'}; target <= 200 MB RSS: {'OK' if ok_m else 'MISSED'}")
    print("cache:")
    for k, v in bench_cache().items():
        print(f"  {k:32s} {v:8.2f}")


if __name__ == "__main__":
    main()
