"""Services some tests need (PostgreSQL, Redis, Chromium): skip where absent, fail in CI.

On a laptop a missing service skips its tests with the reason. In CI (`CI=true`) the
same skip is turned into a failure by the hook in conftest.py, so a run whose services did
not start cannot pass by skipping what it was meant to test.
"""

from __future__ import annotations

import os
import socket

MISSING = "service missing: "
IN_CI = os.environ.get("CI", "").lower() == "true"


def missing(reason: str) -> str:
    """Return a skip reason that CI treats as a failure."""
    return MISSING + reason


def answers(host: str, port: int, timeout: float = 0.5) -> bool:
    """Return whether something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def redis_missing() -> str | None:
    """Return why the Redis tests cannot run here, or None when they can."""
    if answers("127.0.0.1", 6379):
        return None
    return missing("no Redis server at 127.0.0.1:6379 (CI starts it)")


def postgres_missing() -> str | None:
    """Return why the PostgreSQL tests cannot run here, or None when they can."""
    if answers("127.0.0.1", 5432):
        return None
    return missing("no PostgreSQL server at 127.0.0.1:5432 (CI starts it)")
