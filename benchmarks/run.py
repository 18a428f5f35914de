"""Run every benchmark and print the figures: ``python benchmarks/run.py``.

``--prism`` also runs the side-by-side comparison with Prism (``compare_prism.py``: about
6 minutes, and npm installs Prism on its first run).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    scripts = ["bench_audio.py", "bench_http.py", "bench_jobs.py", "bench_input.py",
               "bench_memory.py", "bench_contract.py", "bench_proxy.py"]
    if "--prism" in sys.argv[1:]:
        scripts.append("compare_prism.py")
    for script in scripts:
        print(f"== {script}", flush=True)
        subprocess.run([sys.executable, str(HERE / script)], check=True)
