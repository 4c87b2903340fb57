"""Rate limits for the public surface: shares, join-code lookups (login's are in auth).

Library Wi-Fi puts every phone in the room behind one address, so shares are
limited per phone (its `st_phone` cookie) and per storytime, with only a
generous ceiling per address. Unknown join codes are limited per address, so
codes cannot be walked; a code that exists is neither counted nor refused there.
Each limit is a setting (`STORYTIME_RATELIMIT_…`), its default in `config.Defaults`.

The decorators stack into one wrapper per view, and a request's limits are one decision
(`StorytimeLimiter.decide`): keys computed once, every limit tested, all hit only if all
pass, so a refused share consumes nothing (docs/performance.md, "One rate-limit decision").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any

from flask import current_app, request
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many

from storytime.extensions import limiter
from storytime.limiter import Rule
from storytime.share.phone import COOKIE_NAME, COOKIE_PATTERN
from storytime.share.service import phone_hash
from storytime.storytimes.service import code_exists, normalise_code

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@lru_cache(maxsize=64)
def _items(value: str) -> tuple[RateLimitItem, ...]:
    """Parse a limit setting ("10 per minute; 120 per hour"), once per distinct value."""
    return tuple(dict.fromkeys(parse_many(value))) if value else ()


def _phone_key(address: str) -> str:
    """Key on the phone's random cookie (hashed); a phone without one counts by address."""
    cookie = request.cookies.get(COOKIE_NAME, "")
    if COOKIE_PATTERN.match(cookie):
        return "phone:" + phone_hash(cookie)
    return "address:" + address


def storytime_key() -> str:
    """Key on the storytime the request names, by join code or id."""
    args = request.view_args or {}
    if "code" in args:
        return "storytime-code:" + normalise_code(str(args["code"]))
    return "storytime-id:" + str(args.get("storytime_id", ""))


def address_key() -> str:
    """Key on the client's address (the proxy's X-Forwarded-For under STORYTIME_BEHIND_PROXY)."""
    return "address:" + get_remote_address()


def _rules(share: bool, unknown_code: bool) -> list[Rule]:
    """Return the limits this request draws on, each with its key, computed once."""
    config = current_app.config  # read per request, so tests and admins can change a limit
    remote = get_remote_address()
    address = "address:" + remote
    scopes: list[tuple[str, str, str]] = []
    # Reading a page is never limited per share; looking up an unknown code always is.
    if share and request.method in UNSAFE_METHODS:
        scopes += [
            ("share-phone", "RATELIMIT_SHARE_PER_PHONE", _phone_key(remote)),
            ("share-storytime", "RATELIMIT_SHARE_PER_STORYTIME", storytime_key()),
            ("share-address", "RATELIMIT_SHARE_PER_ADDRESS", address),
        ]
    if unknown_code and not names_a_known_code():
        scopes.append(("unknown-code", "RATELIMIT_UNKNOWN_CODE_PER_ADDRESS", address))
    return [
        Rule(item, key, scope)
        for scope, setting, key in scopes
        for item in _items(str(config[setting]))
    ]


def _limited(view: Callable[..., Any], *, share: bool, unknown_code: bool) -> Callable[..., Any]:
    """Wrap a view in one decision; stacked decorators merge into that one."""
    stacked = getattr(view, "_storytime_limits", None)
    if stacked is not None:
        view, was_share, was_unknown_code = stacked
        share, unknown_code = share or was_share, unknown_code or was_unknown_code

    @wraps(view)
    def limited(*args: Any, **kwargs: Any) -> Any:
        if limiter.active:
            limiter.decide(_rules(share, unknown_code))
        return view(*args, **kwargs)

    limited._storytime_limits = (view, share, unknown_code)  # type: ignore[attr-defined]
    return limited


@limiter.request_filter
def _decided_here() -> bool:
    """Spare the views decided here Flask-Limiter's own pass: it would find no limits there.

    Not while the storage is down: that pass is where Flask-Limiter looks for it again.
    """
    if limiter.in_fallback:
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return hasattr(view, "_storytime_limits")


def share_limits(view: Callable[..., Any]) -> Callable[..., Any]:
    """Limit sending and changing shares: per phone, per storytime, and per address.

    The scopes are shared: the form and the JSON endpoint draw on the same allowance.
    """
    return _limited(view, share=True, unknown_code=False)


# Every phone request asks whether its code exists, and a storytime's code seldom stops
# existing: a code found is believed for a while, per app.
KNOWN_CODE_SECONDS = 30.0
KNOWN_CODES_MAX = 10_000


def names_a_known_code() -> bool:
    """Return whether the join code in the URL belongs to a storytime."""
    code = normalise_code(str((request.view_args or {}).get("code", "")))
    known: dict[str, float] = current_app.extensions.setdefault("storytime_known_codes", {})
    now = time.monotonic()
    if known.get(code, 0.0) > now:
        return True
    if not code_exists(code):
        return False  # unknown codes are looked up every time: they are what is counted
    if len(known) >= KNOWN_CODES_MAX:
        known.clear()
    known[code] = now + KNOWN_CODE_SECONDS
    return True


def code_lookup_limit(view: Callable[..., Any]) -> Callable[..., Any]:
    """Count lookups of join codes that do not exist, per address, and stop a walker.

    A code that exists is neither counted nor refused: a walker behind the library's
    address must not lock the room out of its own storytime.
    """
    return _limited(view, share=False, unknown_code=True)
