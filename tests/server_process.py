"""Run the real server as a process on a free loopback port, as an operator would start it.

Shared by the browser harness, the crash-safety and concurrency tests and the
two-process Redis test. Ports come from 20000-40000, the range this project's tests use.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    """Return a loopback port in 20000-40000 that nothing is bound to."""
    for _ in range(100):
        port = random.randint(20000, 40000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 20000-40000")


def console_script(name: str) -> str:
    """Return the console script installed beside this Python (the venv's bin folder)."""
    path = Path(sys.executable).parent / name
    return str(path) if path.exists() else shutil.which(name) or name


def log_tail(log: Path, size: int = 4000) -> str:
    """Return the end of a server's log, so a failure says why."""
    return log.read_text(errors="replace")[-size:] if log.exists() else "(no log)"


def wait_until_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    """Wait until `url`/healthz answers 200; raise with the server's log if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log_tail(log)}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer in {timeout:.0f} s:\n{log_tail(log)}")


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """Stop a server the way an operator would (SIGTERM), killing it if it hangs."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
