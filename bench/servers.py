"""Start and stop the servers the benchmarks measure, on loopback, and watch their processes.

Configurations:
- embedded: the `storytime` command (one process, cheroot, SQLite in a temp instance folder)
- scaleout: gunicorn workers + PostgreSQL (a database created and dropped here) + Redis
- baseline-embedded / baseline-scaleout: bench/baseline.py served the same way
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
BENCH_EMAIL = "bench@example.org"
LOG_DIR = Path(tempfile.gettempdir()) / "storytime-bench-logs"
BENCH_PASSWORD = "bench-password-123"  # a throwaway account in a throwaway database


def free_port() -> int:
    """Return a free loopback port in 20000-40000 (the range the project's test servers use)."""
    for _ in range(200):
        port = random.randint(20000, 40000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 20000-40000")


class ProcessWatch:
    """Sample the RSS of a process tree; read its CPU seconds between two marks."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak_rss = 0
        self._cpu_start = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def processes(self) -> list[psutil.Process]:
        try:
            return [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def rss(self) -> int:
        total = 0
        for process in self.processes():
            with contextlib.suppress(psutil.Error):
                total += process.memory_info().rss
        return total

    def cpu_seconds(self) -> float:
        total = 0.0
        for process in self.processes():
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                total += times.user + times.system
        return total

    def mark(self) -> None:
        """Start counting CPU and peak memory from now (after start-up)."""
        self._cpu_start = self.cpu_seconds()
        self.peak_rss = self.rss()

    def cpu_since_mark(self) -> float:
        return self.cpu_seconds() - self._cpu_start

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_rss = max(self.peak_rss, self.rss())

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


@dataclass
class Server:
    """A running server under test."""

    name: str
    base_url: str
    process: subprocess.Popen
    env: dict[str, str]
    workdir: Path
    cleanups: list = field(default_factory=list)
    watch: ProcessWatch | None = None
    log_path: Path | None = None

    def flask(self, *args: str) -> str:
        """Run `flask --app storytime ARGS` against this server's database; return stdout."""
        result = subprocess.run(
            [str(BIN / "flask"), "--app", "storytime", *args],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def stop(self) -> None:
        if self.watch:
            self.watch.stop()
        if self.process.poll() is None:
            # The process group: gunicorn's workers and the master go together.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        if self.log_path and self.log_path.exists():
            # Kept for a look after the run; the rest of the work folder goes.
            LOG_DIR.mkdir(exist_ok=True)
            shutil.copy(self.log_path, LOG_DIR / f"{self.name}.log")
        for cleanup in reversed(self.cleanups):
            with contextlib.suppress(Exception):
                cleanup()

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _wait_ready(server: Server, path: str = "/", timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited at start:\n{server.log_tail()}")
        try:
            httpx.get(server.base_url + path, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{server.name} did not answer within {timeout}s:\n{server.log_tail()}")


def _spawn(name: str, command: list[str], env: dict[str, str], workdir: Path, port: int) -> Server:
    log_path = workdir / f"{name}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        command,
        env=env,
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, stopped as one
    )
    return Server(
        name=name,
        base_url=f"http://127.0.0.1:{port}",
        process=process,
        env=env,
        workdir=workdir,
        log_path=log_path,
    )


def storytime_env(port: int, instance: Path, **extra: str) -> dict[str, str]:
    """The environment of a Storytime under load: loopback, limits sized for one address."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("STORYTIME_")}
    env.update(
        STORYTIME_INSTANCE_PATH=str(instance),
        STORYTIME_BASE_URL=f"http://127.0.0.1:{port}",
        STORYTIME_SERVER_TIMING="true",
        # Every simulated phone shares 127.0.0.1; the per-phone and per-storytime limits
        # stay at their defaults, only the per-address ceiling is lifted.
        STORYTIME_RATELIMIT_SHARE_PER_ADDRESS="1000000 per minute",
        PYTHONPATH=str(ROOT) + os.environ.get("BENCH_EXTRA_PATH", ""),
    )
    env.update(extra)
    return env


def gunicorn_command(app: str) -> list[str]:
    """The production command (gunicorn.conf.py: gthread workers) on a port of ours."""
    return [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), app]


def gunicorn_env(env: dict[str, str], port: int, workers: int, threads: int) -> dict[str, str]:
    """Size gunicorn.conf.py through its variables."""
    return {
        **env,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_THREADS": str(threads),
    }


def start_embedded(threads: int | None, traced: bool = False) -> Server:
    """Start `storytime` (cheroot + SQLite) in a fresh temp instance folder.

    `traced` runs it under tracemalloc (bench/traced_server.py), writing into the work folder.
    """
    workdir = Path(tempfile.mkdtemp(prefix="storytime-bench-"))
    port = free_port()
    env = storytime_env(port, workdir / "instance", BENCH_TRACE_DIR=str(workdir))
    program = [sys.executable, "-m", "bench.traced_server"] if traced else [str(BIN / "storytime")]
    command = [*program, "--host", "127.0.0.1", "--port", str(port)]
    if threads:
        command += ["--threads", str(threads)]
    server = _spawn("embedded", command, env, workdir, port)
    server.cleanups.append(lambda: shutil.rmtree(workdir, ignore_errors=True))
    _wait_ready(server)
    return server


def _postgres_admin():
    import psycopg

    return psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3)


def create_database(name: str) -> str:
    """Create a fresh PostgreSQL database (dropping a leftover one); return its URL."""
    with _postgres_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_database(name: str) -> None:
    with _postgres_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flush_redis(url: str) -> None:
    """Empty the one Redis database the benchmark uses (rate-limit counters)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def start_scaleout(workers: int, threads: int, database: str, redis_url: str) -> Server:
    """Start gunicorn workers on a fresh PostgreSQL database with Redis for live updates."""
    workdir = Path(tempfile.mkdtemp(prefix="storytime-bench-"))
    port = free_port()
    url = create_database(database)
    flush_redis(redis_url)
    env = storytime_env(
        port,
        workdir / "instance",
        STORYTIME_DATABASE_URL=url,
        STORYTIME_REDIS_URL=redis_url,
    )
    # Each worker's pool: enough connections for its request threads at peak.
    env["STORYTIME_SQLALCHEMY_ENGINE_OPTIONS"] = '{"pool_size": 20, "max_overflow": 20}'
    subprocess.run(
        [str(BIN / "flask"), "--app", "storytime", "init-db"],
        env=env,
        cwd=workdir,
        check=True,
        capture_output=True,
    )
    command = gunicorn_command("storytime:create_app()")
    env = gunicorn_env(env, port, workers, threads)
    server = _spawn("scaleout", command, env, workdir, port)
    server.cleanups += [
        lambda: shutil.rmtree(workdir, ignore_errors=True),
        lambda: drop_database(database),
        lambda: flush_redis(redis_url),
    ]
    _wait_ready(server)
    return server


def start_baseline(style: str, threads: int, workers: int) -> Server:
    """Start bench/baseline.py served like Storytime: cheroot alone, or gunicorn workers."""
    workdir = Path(tempfile.mkdtemp(prefix="storytime-baseline-"))
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("STORYTIME_")}
    env.update(BENCH_BASELINE_DB=str(workdir / "baseline.sqlite"), PYTHONPATH=str(ROOT))
    if style == "embedded":
        command = [
            sys.executable,
            "-m",
            "bench.baseline",
            "--port",
            str(port),
            "--threads",
            str(threads),
        ]
    else:
        command = gunicorn_command("bench.baseline:create_app()")
        env = gunicorn_env(env, port, workers, threads)
    server = _spawn(f"baseline-{style}", command, env, workdir, port)
    server.cleanups.append(lambda: shutil.rmtree(workdir, ignore_errors=True))
    _wait_ready(server, "/health")
    return server


def bench_account(server: Server) -> str:
    """Create a branch and an admin in the server's database; return a bearer token."""
    server.flask("create-branch", "Bench Library", "--slug", "bench")
    server.flask("create-user", BENCH_EMAIL, "--role", "admin", "--password", BENCH_PASSWORD)
    return server.flask("create-token", BENCH_EMAIL, "--name", "bench").strip().splitlines()[-1]
