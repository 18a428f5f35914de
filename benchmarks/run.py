"""Run every benchmark and print the figures: ``python benchmarks/run.py``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    for script in ("bench_audio.py", "bench_http.py", "bench_jobs.py", "bench_input.py",
                   "bench_memory.py", "bench_contract.py", "bench_proxy.py"):
        print(f"== {script}", flush=True)
        subprocess.run([sys.executable, str(HERE / script)], check=True)
