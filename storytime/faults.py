"""Faults that come and go (Redis down, rate limits in memory), logged in a few lines each.

A fault is logged once when it starts (what failed, and what the app does meanwhile), at
most once per interval while it lasts (how many failures since the last line), and once
when it ends (how long it lasted). Hundreds of identical warnings would bury the one line
an operator needs, and a fault that ends silently looks as if it still lasts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

DEFAULT_INTERVAL_SECONDS = 60.0
# Query parameters that carry a secret in the URLs this app is given (redis-py reads them).
SECRET_PARAMETERS = ("password", "pass", "secret", "token", "key")


def redact_url(url: str) -> str:
    """Return the URL without its password, in the user part or the query."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            user, host = netloc.rsplit("@", 1)
            username = user.split(":", 1)[0]
            netloc = f"{username}@{host}" if username else host
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        secret = [any(s in name.lower() for s in SECRET_PARAMETERS) for name, _ in pairs]
        query = parts.query
        if any(secret):
            query = urlencode(
                [(n, "***" if hide else v) for (n, v), hide in zip(pairs, secret, strict=True)],
                quote_via=quote,
                safe="*",
            )
        if (netloc, query) == (parts.netloc, parts.query):
            return url  # nothing to hide; unchanged, so memory:// stays memory://
        # Built by hand: urlunsplit drops the // of a URL whose host is empty (unix://).
        tail = (f"?{query}" if query else "") + (f"#{parts.fragment}" if parts.fragment else "")
        return f"{parts.scheme}://{netloc}{parts.path}{tail}"
    except ValueError:  # not a URL we can read: show none of it rather than a secret
        return "(unreadable URL)"


def url_password(url: str) -> str:
    """Return the password in a URL, or ''; a message that repeats it gets it masked."""
    try:
        return urlsplit(url).password or ""
    except ValueError:
        return ""


def describe(exc: BaseException, secret: str = "") -> str:
    """Return an exception as one short line (type and message), with `secret` masked."""
    text = " ".join(str(exc).split())
    if secret:
        text = text.replace(secret, "***")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def duration(seconds: float) -> str:
    """Return a duration as an operator reads it: '45 s', '3 min 5 s', '2 h 10 min'."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


class Fault:
    """One thing that can fail for a while; thread-safe, and cheap to call on every request.

    :param name: a short word that starts every line (``fault <name> started``), to grep for.
    :param what: what fails, e.g. "Redis unreachable at redis://host:6379/0" (no secrets).
    :param meanwhile: what the app does until it is back, said once when the fault starts.
    :param back: what is true again when it ends.
    :param noun: what `failed` counts, singular and plural.
    :param clock: seconds, monotonic; tests pass a fake one.
    """

    def __init__(
        self,
        name: str,
        logger: logging.Logger,
        *,
        what: str,
        meanwhile: str,
        back: str = "working again",
        interval: float = DEFAULT_INTERVAL_SECONDS,
        noun: tuple[str, str] = ("failure", "failures"),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.what = what
        self.meanwhile = meanwhile
        self.back = back
        self.interval = float(interval)
        self._logger = logger
        self._noun = noun
        self._clock = clock
        # An RLock: a log handler that reports a fault of its own must not deadlock here.
        self._lock = threading.RLock()
        self._started: float | None = None
        self._last_line = 0.0
        self._total = 0
        self._since_line = 0
        self._last_detail = ""

    @property
    def active(self) -> bool:
        """Return whether the fault has started and not ended."""
        return self._started is not None

    @property
    def since(self) -> float | None:
        """Return the clock reading when the fault started, or None while all is well."""
        return self._started

    def _count(self, number: int) -> str:
        return f"{number} {self._noun[0] if number == 1 else self._noun[1]}"

    def failed(self, detail: str = "") -> bool:
        """Count one failure; log it if it starts the fault or an interval has passed.

        Return True when this failure started the fault.
        """
        # Lines are written under the lock so that "started" always comes before "ended".
        with self._lock:
            now = self._clock()
            if detail:
                self._last_detail = detail
            if self._started is None:
                self._started = self._last_line = now
                self._total, self._since_line = 1, 0
                self._logger.warning(
                    "fault %s started: %s%s; meanwhile %s",
                    self.name,
                    self.what,
                    f" ({detail})" if detail else "",
                    self.meanwhile,
                )
                return True
            self._total += 1
            self._since_line += 1
            if now - self._last_line >= self.interval:
                self._logger.warning(
                    "fault %s continues: %s in the last %s, %s since it started%s",
                    self.name,
                    self._count(self._since_line),
                    duration(now - self._last_line),
                    duration(now - self._started),
                    f"; last: {self._last_detail}" if self._last_detail else "",
                )
                self._last_line, self._since_line = now, 0
            return False

    def recovered(self) -> bool:
        """End the fault if it is on, with one line; return True when this call ended it."""
        if self._started is None:  # the usual case, on every request: no lock needed
            return False
        with self._lock:
            if self._started is None:
                return False
            # WARNING like the start: an operator who filters on warnings must see it end.
            self._logger.warning(
                "fault %s ended after %s (%s in all): %s",
                self.name,
                duration(self._clock() - self._started),
                self._count(self._total),
                self.back,
            )
            self._started = None
            self._total = self._since_line = 0
            self._last_detail = ""
            return True
