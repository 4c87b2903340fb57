"""CPU per wake of a room's live streams, in process (issue 19, render once, send many).

    .venv/bin/python bench/wake_cpu.py                  # 1, 10 and 40 streams, 3 reader mixes
    .venv/bin/python bench/wake_cpu.py --streams 40 --shapes staff --shares 100
To measure an older commit, export its package and put it first on the path:
    git archive <commit> storytime templates static | tar -x -C /tmp/before
    PYTHONPATH=/tmp/before .venv/bin/python bench/wake_cpu.py

N generator streams (event_stream, each in its own thread and app context, as the view runs
it) follow one storytime on a temporary SQLite file. The main thread posts SHARES shares
one at a time and waits until every stream has the share's frame, so each share is one
wake. A stream thread's CPU (time.thread_time) is sampled after every chunk; the room's
CPU per wake is the sum over its streams, divided by the shares.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

# The tests' factories make the storytime and post shares as a phone would.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from factories import make_storytime
from live_support import post_share
from sqlalchemy import event

import storytime
from storytime import create_app
from storytime.extensions import db
from storytime.live.stream import event_stream


def run(streams: int, shape: str, shares: int, tmp: Path) -> dict:
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp / "instance"),
            "DATABASE_URL": f"sqlite:///{tmp / 'wake.sqlite'}",
            "SECRET_KEY": "x",
            "AUTO_MIGRATE": False,
            "RATELIMIT_ENABLED": False,
            "AUTO_CLOSE_SWEEP_SECONDS": 0,
            "BASE_URL": "http://storytime.test",
        }
    )
    with app.app_context():
        db.create_all()
    st = make_storytime(app)
    stream_threads: set[int] = set()
    statements = [0]

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def count(conn, cursor, statement, *args):
        if threading.get_ident() in stream_threads:
            statements[0] += 1

    cpu = [0.0] * streams
    got = [0] * streams  # number of share frames seen
    stop = threading.Event()
    cond = threading.Condition()

    def reader(n: int) -> None:
        stream_threads.add(threading.get_ident())
        kind = {"staff": "staff", "display": "display"}.get(shape) or (
            "staff" if n % 2 == 0 else "display"
        )
        with app.app_context():
            gen = event_stream(
                st.id,
                reader=kind,
                display_token=st.display_token,
                max_seconds=600,
                heartbeat_seconds=600,
            )
            for text in gen:
                frames = text.count("\nevent: share.")
                with cond:
                    got[n] += frames
                    cpu[n] = time.thread_time()
                    cond.notify_all()
                if stop.is_set():
                    break
            gen.close()

    threads = [threading.Thread(target=reader, args=(n,), daemon=True) for n in range(streams)]
    for t in threads:
        t.start()

    def wait_all(k: int) -> None:
        deadline = time.monotonic() + 30
        with cond:
            while min(got) < k:
                if not cond.wait(deadline - time.monotonic()):
                    raise SystemExit(f"timed out waiting for share {k}: {got}")

    # Warm up: every stream connected and has the first share.
    post_share(app, st.id, "tip", "warm up")
    wait_all(1)
    time.sleep(0.2)
    with cond:
        start_cpu = sum(cpu)
    statements[0] = 0
    feeds = app.extensions.get("storytime_rendered_feeds")
    renders0 = feeds.renders if feeds else 0
    t0 = time.perf_counter()
    for k in range(shares):
        post_share(app, st.id, "tip", f"Tip number {k}")
        wait_all(k + 2)
    wall = time.perf_counter() - t0
    time.sleep(0.2)
    with cond:
        total = sum(cpu) - start_cpu
    renders = (feeds.renders - renders0) if feeds else None
    sql = statements[0]
    stop.set()
    from storytime.events import notifier_for

    notifier_for(app).close()
    for t in threads:
        t.join(5)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return {
        "streams": streams,
        "shape": shape,
        "room_ms_per_wake": 1000 * total / shares,
        "ms_per_stream_wake": 1000 * total / shares / streams,
        "stream_statements_per_wake": sql / shares,
        "renders_per_wake": renders / shares if renders is not None else None,
        "wall_ms_per_share": 1000 * wall / shares,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shares", type=int, default=200)
    parser.add_argument("--streams", default="1,10,40")
    parser.add_argument("--shapes", default="staff,display,mixed")
    args = parser.parse_args()
    print("storytime from", Path(storytime.__file__).parent)
    print(
        "| streams | readers | room CPU ms/wake | per stream ms | stream SQL/wake | renders/wake |"
    )
    print("|---|---|---|---|---|---|")
    for shape in args.shapes.split(","):
        for n in (int(x) for x in args.streams.split(",")):
            with tempfile.TemporaryDirectory() as tmp:
                r = run(n, shape, args.shares, Path(tmp))
            renders = r["renders_per_wake"]
            print(
                f"| {n} | {shape} | {r['room_ms_per_wake']:.2f} | "
                f"{r['ms_per_stream_wake']:.3f} | {r['stream_statements_per_wake']:.2f} | "
                f"{'-' if renders is None else f'{renders:.2f}'} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
