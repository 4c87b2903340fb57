"""The rate limiter: Flask-Limiter, whose fall-back to per-worker memory is a logged fault.

With Redis as the limit storage (STORYTIME_REDIS_URL), a Redis outage must not take sharing
down: Flask-Limiter then counts in each worker's memory (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED)
and goes back to Redis once it answers. It says so in lines of its own, some of them once
per request in a race; here that is one fault, "ratelimit", logged when it starts, once per
FAULT_LOG_INTERVAL_SECONDS while it lasts (with the requests limited in memory meanwhile)
and when it ends. Flask-Limiter (4.x) has no hook for this, so its flag `_storage_dead` is
read in one place, `StorytimeLimiter.in_fallback`, and its lines are recognised by their
messages; tests/test_faults.py stops a real Redis to keep both honest.
"""

from __future__ import annotations

import logging
import sys
from urllib.parse import urlsplit

from flask import Flask, current_app
from flask_limiter import Limiter

from storytime.faults import Fault, describe, redact_url, url_password

log = logging.getLogger(__name__)

FAULT_KEY = "storytime_ratelimit_fault"
# Flask-Limiter's own lines about its storage, replaced by the fault's.
FALLING_BACK = "Rate limit storage unreachable - falling back to in-memory storage"
RECOVERED = "Rate limit storage recovered"
SWALLOWED = "Swallowing error"  # "Failed to rate limit. Swallowing error" and kin


class StorytimeLimiter(Limiter):
    """A Limiter that reports its storage failing over to memory, and back, as a fault."""

    _fallback_reason = ""
    _storage_password = ""

    def init_app(self, app: Flask) -> None:
        """Bind to the app as Flask-Limiter does, then watch its storage for this app."""
        super().init_app(app)
        if not self.enabled:
            return
        # One limiter serves every app made in the process (tests make many); a new app's
        # storage starts out alive, whatever became of the last one.
        self._storage_dead = False
        uri = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
        self._storage_password = url_password(uri)
        shown = redact_url(uri)
        app.extensions[FAULT_KEY] = Fault(
            "ratelimit",
            log,
            what=f"rate limit storage unreachable at {shown}",
            meanwhile=(
                "each worker counts rate limits in its own memory, so with N workers a "
                "phone may send up to N times its allowance, until the storage is back"
            ),
            back=f"rate limits are counted in {shown} again",
            interval=float(app.config["FAULT_LOG_INTERVAL_SECONDS"]),
            noun=("request limited in memory", "requests limited in memory"),
        )
        # A teardown, not an after_request: it runs after the rate limit headers are
        # written (which may fail over too) and before Flask-Limiter forgets the request.
        app.teardown_request(self._report_storage)

    @property
    def in_fallback(self) -> bool:
        """Return whether limits are counted in memory because the storage failed."""
        return bool(self._storage_dead)

    def storage_state(self, app: Flask) -> str:
        """Return where limits are counted: "redis", "memory", "memory-fallback" or "off"."""
        if not app.config.get("RATELIMIT_ENABLED", True):
            return "off"
        if self.in_fallback:
            return "memory-fallback"
        uri = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
        return urlsplit(uri).scheme or "memory"

    def _report_storage(self, _exc: BaseException | None = None) -> None:
        fault: Fault | None = current_app.extensions.get(FAULT_KEY)
        if fault is None:
            return
        if self.in_fallback:
            if self.current_limits:  # this request was limited, in memory
                fault.failed(self._fallback_reason)
        else:
            fault.recovered()

    def note_fallback_reason(self) -> None:
        """Remember the exception being handled: why the storage was given up."""
        exc = sys.exc_info()[1]
        if exc is not None:
            self._fallback_reason = describe(exc, self._storage_password)


class StorageLinesFilter(logging.Filter):
    """Drop Flask-Limiter's lines about its storage: the "ratelimit" fault says it once."""

    def __init__(self, limiter: StorytimeLimiter) -> None:
        super().__init__()
        self.limiter = limiter

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if message == FALLING_BACK:
            self.limiter.note_fallback_reason()  # logged inside its `except` block
            return False
        if message == RECOVERED:
            return False
        # A request that started on the storage and failed after another had fallen back:
        # the same outage, once per request, with a traceback each.
        return not (SWALLOWED in message and self.limiter.in_fallback)


def watch(limiter: StorytimeLimiter) -> StorytimeLimiter:
    """Put the filter on Flask-Limiter's logger (once per process); return the limiter."""
    logger = logging.getLogger("flask-limiter")
    if not any(isinstance(f, StorageLinesFilter) for f in logger.filters):
        logger.addFilter(StorageLinesFilter(limiter))
    return limiter
