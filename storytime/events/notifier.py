"""Doorbells that wake waiting streams when a storytime's event log grows.

The database is the source of truth; a notification only says "look again".
In one process a condition per storytime is enough. With STORYTIME_REDIS_URL
set, every process publishes to Redis and listens there too, so a share saved
by one worker wakes the streams held by another.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import defaultdict

from storytime.faults import DEFAULT_INTERVAL_SECONDS, Fault, describe, redact_url, url_password

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "storytime:events:"


class LocalNotifier:
    """Wake streams in this process. Each storytime has a generation counter."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conditions: dict[int, threading.Condition] = {}
        self._generations: defaultdict[int, int] = defaultdict(int)
        self._waiters: defaultdict[int, int] = defaultdict(int)
        self._closed = False

    def generation(self, storytime_id: int) -> int:
        """Return the current generation; pass it to `wait` to miss nothing in between."""
        with self._lock:
            return self._generations[storytime_id]

    def _condition(self, storytime_id: int) -> threading.Condition:
        condition = self._conditions.get(storytime_id)
        if condition is None:
            condition = self._conditions[storytime_id] = threading.Condition(self._lock)
        return condition

    def notify(self, storytime_id: int) -> None:
        """Ring the doorbell of one storytime in this process."""
        with self._lock:
            self._generations[storytime_id] += 1
            condition = self._conditions.get(storytime_id)
            if condition is not None:
                condition.notify_all()

    def wait(self, storytime_id: int, seen_generation: int, timeout: float) -> bool:
        """Block until the generation moves past `seen_generation`; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            condition = self._condition(storytime_id)
            self._waiters[storytime_id] += 1
            try:
                while self._generations[storytime_id] == seen_generation and not self._closed:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    condition.wait(remaining)
                return True
            finally:
                self._waiters[storytime_id] -= 1
                if not self._waiters[storytime_id]:
                    # Forget rooms nobody watches, so memory stays bounded over months.
                    del self._waiters[storytime_id]
                    self._conditions.pop(storytime_id, None)

    def publish(self, storytime_id: int) -> None:
        """Tell every process; here, only this one."""
        self.notify(storytime_id)

    def wake_all(self) -> None:
        """Wake every waiting stream, so each looks at the database again."""
        with self._lock:
            for storytime_id, condition in self._conditions.items():
                self._generations[storytime_id] += 1
                condition.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Wake every stream for the last time: the server is going away."""
        self._closed = True
        self.wake_all()

    @property
    def healthy(self) -> bool:
        return True


class RedisNotifier(LocalNotifier):
    """Publish doorbells on Redis pub/sub and wake local streams from a listener thread.

    While Redis is down, publishing fails and the listener retries every second, waking
    every local stream each time: they read the database about once a second instead of
    being rung. All of it is one fault, "redis", logged when it starts, once a minute
    (`FAULT_LOG_INTERVAL_SECONDS`) while it lasts, and when the listener is back.
    """

    RECONNECT_SECONDS = 1.0

    def __init__(self, url: str, fault_interval: float = DEFAULT_INTERVAL_SECONDS) -> None:
        super().__init__()
        import redis

        self._redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self._listener_redis = redis.Redis.from_url(url, socket_connect_timeout=2)
        self._password = url_password(url)
        shown = redact_url(url)
        self.fault = Fault(
            "redis",
            log,
            what=f"Redis unreachable at {shown}",
            meanwhile=(
                "shares are still saved, and live screens look at the database about once a "
                "second instead of waiting to be rung, until Redis is back"
            ),
            back=f"Redis answers again at {shown}; live screens are rung through it again",
            interval=fault_interval,
        )
        self._stopped = threading.Event()
        self._connected = threading.Event()
        self._thread = threading.Thread(
            target=self._listen, name="storytime-redis-listener", daemon=True
        )
        self._thread.start()

    def publish(self, storytime_id: int) -> None:
        """Ring locally at once, then tell the other processes through Redis."""
        self.notify(storytime_id)
        try:
            self._redis.publish(CHANNEL_PREFIX + str(storytime_id), b"1")
        except Exception as exc:  # a Redis outage must never lose a share; streams poll meanwhile
            self.fault.failed("publish: " + describe(exc, self._password))
        else:
            if self._connected.is_set():  # both ways work again (the listener ends it too)
                self.fault.recovered()

    def _listen(self) -> None:
        while not self._stopped.is_set():
            pubsub = self._listener_redis.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.psubscribe(CHANNEL_PREFIX + "*")
                self._connected.set()
                self.fault.recovered()
                while not self._stopped.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message and message.get("type") == "pmessage":
                        channel = message["channel"].decode()
                        self.notify(int(channel.removeprefix(CHANNEL_PREFIX)))
            except Exception as exc:
                self._connected.clear()
                if not self._stopped.is_set():
                    self.fault.failed("listener: " + describe(exc, self._password))
                self.wake_all()  # each stream looks at the database after the gap
                self._stopped.wait(self.RECONNECT_SECONDS)
            finally:
                with contextlib.suppress(Exception):
                    pubsub.close()

    def wait_until_listening(self, timeout: float = 5.0) -> bool:
        """Block until the listener is subscribed; return False after `timeout` seconds."""
        return self._connected.wait(timeout)

    @property
    def healthy(self) -> bool:
        return self._connected.is_set()

    def close(self) -> None:
        """End the waiting streams, then stop the listener thread."""
        # Streams first: a stopping worker must not keep its screens while the listener
        # finishes its last second-long poll.
        super().close()
        self._stopped.set()
        self._thread.join(timeout=3)
        for client in (self._redis, self._listener_redis):
            with contextlib.suppress(Exception):
                client.close()
