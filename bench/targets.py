"""The performance targets in one run: a burst phase and a steady 60-a-second phase.

    .venv/bin/python -m bench.load                   # both configurations, ~8 minutes
    .venv/bin/python -m bench.load --config embedded # one configuration

Burst phase: 10 rooms x 20 phones x 2 streams; phones share at a rhythm, then all send two
shares at once. Steady phase: 20 rooms x 30 phones x 2 streams (40 streams) offered 60
shares a second, no burst. Each configuration's burst is compared with the bare baseline
(bench/baseline.py) served the same way. Prints each phase's full table, then one row per
target. See docs/performance.md.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from bench.load import Run, Settings, _expected, _ms, _percentile, rows, run_config, table

BURST = {"rooms": 10, "phones": 20, "streams": 2, "burst_shares": 2, "steady_rate": 0.0}
STEADY = {
    "rooms": 20,
    "phones": 30,
    "streams": 2,
    "arrival": 10.0,
    "steady": 40.0,
    "steady_rate": 60.0,
    "burst_shares": 0,
}


def _burst_rate(run: Run | None) -> float:
    return run.burst_acks / run.burst_seconds if run and run.burst_seconds else 0.0


def _screen_p99(run: Run) -> float | None:
    latencies = [
        max(0.0, stream.arrivals[share.share_id] - share.acked)
        for share, stream in _expected(run)
        if share.share_id in stream.arrivals
    ]
    return _percentile(latencies, 99)


def _faults(run: Run) -> str:
    expected = _expected(run)
    lost = sum(1 for share, stream in expected if share.share_id not in stream.arrivals)
    streams = [stream for room in run.rooms for stream in room.streams]
    dup = sum(stream.duplicates for stream in streams)
    disorder = sum(stream.out_of_order for stream in streams)
    return f"{lost} / {dup} / {disorder}"


def target_rows(burst: Run, base: Run | None, steady: Run) -> dict[str, str]:
    """One configuration's figure for each target."""
    ratio = _burst_rate(burst) / _burst_rate(base) if _burst_rate(base) else None
    steady_rate = steady.steady_acks / steady.steady_seconds if steady.steady_seconds else 0.0
    return {
        "burst acked shares/s (>= 300)": f"{_burst_rate(burst):.0f}",
        "bare baseline burst shares/s": f"{_burst_rate(base):.0f}" if base else "-",
        "burst vs baseline (>= 0.5)": f"{ratio:.2f}" if ratio is not None else "-",
        "share->screen p99 ms at 60/s, 40 streams (< 250)": _ms(_screen_p99(steady)),
        "steady acked shares/s (offered 60)": f"{steady_rate:.1f}",
        "share POST p99 ms in the 10x20x2 burst (< 1000)": _ms(
            _percentile(burst.burst_post_seconds, 99)
        ),
        "join page server p99 ms, burst phase (< 20)": _ms(_percentile(burst.join_server, 99)),
        "join page server p99 ms, steady phase (< 20)": _ms(_percentile(steady.join_server, 99)),
        "lost / duplicated / disordered (0)": f"{_faults(burst)} + {_faults(steady)}",
        "aborted": " / ".join(r.aborted or "no" for r in (burst, steady)),
    }


def run_targets(configs: list[str], settings: Settings, args: argparse.Namespace) -> str:
    """Run both phases for each configuration; return the phase tables and the target table."""
    burst_settings = replace(settings, **BURST)
    steady_settings = replace(settings, **STEADY)
    burst_columns: list[tuple[str, dict[str, str]]] = []
    steady_columns: list[tuple[str, dict[str, str]]] = []
    target_columns: list[tuple[str, dict[str, str]]] = []
    for config in configs:
        burst, base = run_config(config, burst_settings, args, not args.no_baseline)
        steady, _ = run_config(config, steady_settings, args, False)
        burst_columns.append((config, rows(burst, base)))
        if base:
            burst_columns.append((f"baseline ({config})", rows(base, base)))
        steady_columns.append((config, rows(steady, None)))
        target_columns.append((config, target_rows(burst, base, steady)))
    return "\n\n".join(
        [
            "Burst phase (10x20x2, two shares each at once):",
            table(burst_columns),
            "Steady phase (20x30x2, 60 shares/s offered, no burst):",
            table(steady_columns),
            "Targets (2 cores):",
            table(target_columns),
        ]
    )
