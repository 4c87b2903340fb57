"""Run the embedded server under tracemalloc; SIGUSR1 writes what grew since the first signal.

    python -m bench.traced_server --host 127.0.0.1 --port 5000

The first SIGUSR1 takes the reference snapshot; each later one writes the top allocation
sites that grew since it (by traceback) to `$BENCH_TRACE_DIR/growth-<n>.txt`. Used by
`python -m bench.soak --trace-memory` to find what keeps memory (docs/performance.md).
"""

from __future__ import annotations

import os
import signal
import threading
import tracemalloc
from pathlib import Path

FRAMES = int(os.environ.get("BENCH_TRACE_FRAMES", "6"))
TOP = 25


def _install() -> None:
    out = Path(os.environ.get("BENCH_TRACE_DIR", "."))
    state: dict = {"reference": None, "count": 0}
    lock = threading.Lock()

    def write_growth() -> None:
        with lock:
            snapshot = tracemalloc.take_snapshot().filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__)]
            )
            if state["reference"] is None:
                state["reference"] = snapshot
                return
            state["count"] += 1
            stats = snapshot.compare_to(state["reference"], "traceback")
            current, peak = tracemalloc.get_traced_memory()
            lines = [f"traced now {current / 2**20:.1f} MiB (peak {peak / 2**20:.1f})"]
            for stat in stats[:TOP]:
                lines.append(f"{stat.size_diff / 1024:+.1f} KiB, {stat.count_diff:+d} blocks")
                lines.extend("    " + line for line in stat.traceback.format(limit=FRAMES))
            (out / f"growth-{state['count']}.txt").write_text("\n".join(lines) + "\n")

    # The snapshot is slow: take it on a thread, not inside the signal handler.
    signal.signal(
        signal.SIGUSR1, lambda *_: threading.Thread(target=write_growth, daemon=True).start()
    )


if __name__ == "__main__":
    tracemalloc.start(FRAMES)
    _install()
    from storytime.serve import main

    main()
