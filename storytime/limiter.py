"""The rate limiter: Flask-Limiter, one decision for several limits, storage faults logged.

With Redis as the limit storage (STORYTIME_REDIS_URL), a Redis outage must not take sharing
down: Flask-Limiter then counts in each worker's memory (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED)
and goes back to Redis once it answers. It says so in lines of its own, some of them once
per request in a race; here that is one fault, "ratelimit", logged when it starts, once per
FAULT_LOG_INTERVAL_SECONDS while it lasts (with the requests limited in memory meanwhile)
and when it ends. Flask-Limiter (4.x) has no hook for this, so its flag `_storage_dead` is
read through `StorytimeLimiter.in_fallback`, and its lines are recognised by their
messages; tests/test_faults.py stops a real Redis to keep both honest.

`StorytimeLimiter.decide` tests several limits of one request at once and hits them only if
all pass (docs/performance.md, "One rate-limit decision"): a refused request consumes
nothing. On Redis that is one Lua script, one round trip, atomic across workers; elsewhere
the `limits` strategy's test and hit, under a lock when the counters are in this process.
The outcome goes into Flask-Limiter's request context, so its headers (X-RateLimit-*,
Retry-After), its 429 and the fault tracking above treat it as one of its own limits.
Deciding, it fails over to memory as Flask-Limiter does, by the same attributes. The
Flask-Limiter 4.x internals used here: `_storage_dead`, `_in_memory_fallback_enabled`,
`_swallow_errors`, `_key_prefix`, `_storage_uri` (see `init_app`) and `context`;
tests/test_rate_limit_decision.py covers each path (memory, Redis, memory while Redis is down).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from contextlib import nullcontext
from typing import NamedTuple
from urllib.parse import urlsplit

from flask import Flask, current_app
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit
from flask_limiter._limits import RuntimeLimit  # what RateLimitExceeded is made from
from limits import RateLimitItem, WindowStats
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import FixedWindowRateLimiter

from storytime.faults import Fault, describe, redact_url, url_password

log = logging.getLogger(__name__)

FAULT_KEY = "storytime_ratelimit_fault"
# Flask-Limiter's own lines about its storage, replaced by the fault's.
FALLING_BACK = "Rate limit storage unreachable - falling back to in-memory storage"
RECOVERED = "Rate limit storage recovered"
SWALLOWED = "Swallowing error"  # "Failed to rate limit. Swallowing error" and kin
COUNTERS_SCHEME = "storytime-memory"  # MemoryCounters, for RATELIMIT_STORAGE_URI memory://

# Test every counter, then increment every one, or none: fixed windows, as limits'
# incr_expire.lua (a counter's window starts with its first hit). Returns the index (from 1)
# of the first counter that refuses, or 0, with the count and TTL of that counter (or of the
# first one), for the X-RateLimit headers.
DECIDE_SCRIPT = """
for i = 1, #KEYS do
    local current = tonumber(redis.call("get", KEYS[i]) or "0")
    if current >= tonumber(ARGV[2 * i - 1]) then
        return {i, current, redis.call("ttl", KEYS[i])}
    end
end
local first = 0
for i = 1, #KEYS do
    local current = redis.call("incrby", KEYS[i], 1)
    if current == 1 then
        redis.call("expire", KEYS[i], ARGV[2 * i])
    end
    if i == 1 then
        first = current
    end
end
return {0, first, redis.call("ttl", KEYS[1])}
"""


class Rule(NamedTuple):
    """One limit of a request's decision: the limit, whose count (key), and which (scope)."""

    item: RateLimitItem
    key: str
    scope: str


class _Decided(RequestLimit):
    """A limit as Flask-Limiter reports it, with its window already known when it is."""

    def __init__(self, limiter: Limiter, rule: Rule, args: list[str], breached: bool) -> None:
        super().__init__(limiter, rule.item, args, breached, shared=True)
        self.rule = rule

    def knowing(self, count: int, ttl: int) -> _Decided:
        """Fill in the window from a count and TTL the decision read (no storage read later)."""
        # RequestLimit reads `_window` lazily from the storage; this is what it would read.
        self._window = WindowStats(max(ttl, 0) + time.time(), max(0, self.limit.amount - count))
        return self


class MemoryCounters(Storage):
    """Fixed-window counters in this process's memory: what "memory://" means here.

    limits' MemoryStorage starts a thread 10 ms after each hit to scan every counter for
    expired ones: at a share every few milliseconds, a thread start per share and a scan of
    every phone's counters 100 times a second (docs/performance.md, "Counters in memory").
    Here a counter past its window reads as 0 and starts again when hit; the expired ones
    are dropped at most once a minute, inline.
    """

    STORAGE_SCHEME = [COUNTERS_SCHEME]
    SWEEP_SECONDS = 60.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.counters: dict[str, tuple[int, float]] = {}  # key: (count, window's end)
        self._lock = threading.Lock()
        self._next_sweep = time.time() + self.SWEEP_SECONDS

    @property
    def base_exceptions(self) -> type[Exception]:
        return ValueError

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add to the counter, starting its window if it has none or it has ended."""
        now = time.time()
        with self._lock:
            if now >= self._next_sweep:
                self.counters = {k: v for k, v in self.counters.items() if v[1] > now}
                self._next_sweep = now + self.SWEEP_SECONDS
            count, ends = self.counters.get(key, (0, 0.0))
            if ends <= now:
                count, ends = 0, now + expiry
            self.counters[key] = (count + amount, ends)
            return count + amount

    def get(self, key: str) -> int:
        """Return the count in the counter's current window (0 once it has ended)."""
        count, ends = self.counters.get(key, (0, 0.0))
        return count if ends > time.time() else 0

    def get_expiry(self, key: str) -> float:
        """Return when the counter's window ends (now when it has none)."""
        now = time.time()
        return max(self.counters.get(key, (0, now))[1], now)

    def check(self) -> bool:
        """Return True: memory is always there."""
        return True

    def reset(self) -> int:
        """Forget every counter; return how many there were."""
        with self._lock:
            count, self.counters = len(self.counters), {}
        return count

    def clear(self, key: str) -> None:
        """Forget one counter."""
        with self._lock:
            self.counters.pop(key, None)


class StorytimeLimiter(Limiter):
    """A Limiter that reports its storage failing over to memory, and back, as a fault."""

    _fallback_reason = ""
    _storage_password = ""
    _script_for: RedisStorage | None = None
    _script = None
    # Test-then-hit in this process's memory is one step for every thread.
    _memory_lock = threading.Lock()

    def init_app(self, app: Flask) -> None:
        """Bind to the app as Flask-Limiter does, then watch its storage for this app."""
        # "memory://" with fixed windows (the defaults) counts in MemoryCounters; the limiter
        # is one per process and each app sets (or unsets) this for itself.
        uri = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
        memory = urlsplit(uri).scheme == "memory"
        fixed = app.config.get("RATELIMIT_STRATEGY", "fixed-window") == "fixed-window"
        self._storage_uri = f"{COUNTERS_SCHEME}://" if memory and fixed else None
        super().init_app(app)
        if not self.enabled:
            return
        # One limiter serves every app made in the process (tests make many); a new app's
        # storage starts out alive, whatever became of the last one.
        self._storage_dead = False
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

    @property
    def active(self) -> bool:
        """Return whether limits are enforced (RATELIMIT_ENABLED, and bound to an app)."""
        return bool(self.enabled and self.initialized)

    def decide(self, rules: list[Rule]) -> None:
        """Allow this request against every rule, counting it once in each, or raise a 429.

        The rules are tested in Flask-Limiter's order (shortest window first, then as given)
        and the first that is spent refuses; nothing is counted then. A storage that fails
        is given up for memory, as Flask-Limiter does (see the module's docstring).
        """
        if not rules or not self.active:
            return
        rules = sorted(rules, key=lambda rule: rule.item.GRANULARITY.seconds)
        try:
            self._decide(rules)
        except RateLimitExceeded:
            raise
        except Exception:
            if self._in_memory_fallback_enabled and not self._storage_dead:
                self.logger.warning(FALLING_BACK)  # the filter keeps the reason, drops the line
                self._storage_dead = True
                self._decide(rules)
            elif self._swallow_errors:
                self.logger.exception("Failed to rate limit. Swallowing error")
            else:
                raise

    def _decide(self, rules: list[Rule]) -> None:
        strategy = self.limiter  # the fallback's while the storage is given up
        prefix = [self._key_prefix] if self._key_prefix else []
        limits = [_Decided(self, rule, [*prefix, rule.key, rule.scope], False) for rule in rules]
        storage = strategy.storage
        if type(strategy) is FixedWindowRateLimiter and type(storage) is RedisStorage:
            refused = self._decide_in_redis(storage, limits)
        else:
            refused = self._decide_with(strategy, limits)
        context = self.context
        context.view_rate_limits = limits
        context.view_rate_limit = limits[0] if refused is None else limits[refused]
        if refused is not None:
            self._refuse(limits[refused])

    def _decide_in_redis(self, storage: RedisStorage, limits: list[_Decided]) -> int | None:
        if self._script_for is not storage:  # a new app's storage (tests make many)
            self._script = storage.get_connection().register_script(DECIDE_SCRIPT)
            self._script_for = storage
        keys = [storage.prefixed_key(limit.key) for limit in limits]
        args = [n for limit in limits for n in (limit.limit.amount, limit.limit.get_expiry())]
        refused, count, ttl = self._script(keys=keys, args=args)
        header = limits[refused - 1 if refused else 0]
        header.knowing(int(count), int(ttl))
        return refused - 1 if refused else None

    def _decide_with(self, strategy, limits: list[_Decided]) -> int | None:
        local = isinstance(strategy.storage, MemoryCounters | MemoryStorage)
        with self._memory_lock if local else nullcontext():
            for number, limit in enumerate(limits):
                if not strategy.test(limit.limit, *limit.request_args):
                    return number
            for number, limit in enumerate(limits):
                # Only another process's hit in between refuses here: what was hit stays hit.
                if not strategy.hit(limit.limit, *limit.request_args):
                    return number
        return None

    def _refuse(self, limit: _Decided) -> None:
        limit.breached = True
        rule = limit.rule
        self.logger.info(
            "ratelimit %s (%s) exceeded at endpoint: %s", rule.item, rule.key, rule.scope
        )
        raise RateLimitExceeded(RuntimeLimit(rule.item, lambda: rule.key, rule.scope, shared=True))

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
