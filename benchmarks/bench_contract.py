"""The contract suite against the bundled mock: ``mockserver contract all --examples 100``,
wall time and CPU time (target: <= 60 s for all providers together)."""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time

EXAMPLES = 100
TARGET_SECONDS = 60.0


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        run = subprocess.run(
            [sys.executable, "-m", "mockserver.cli", "contract", "all",
             "--examples", str(EXAMPLES)],
            capture_output=True, text=True, cwd=tmp)
        wall = time.monotonic() - started
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    verdict = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-500:]
    print(f"contract all --examples {EXAMPLES}: {wall:.1f} s wall"
          f" (target <= {TARGET_SECONDS:.0f} s), {used.ru_utime + used.ru_stime:.1f} s CPU;"
          f" exit {run.returncode}: {verdict}")


if __name__ == "__main__":
    main()
