"""Rate limits for the public surface: shares, join-code lookups (login's are in auth).

Library Wi-Fi puts every phone in the room behind one address, so shares are
limited per phone (its `st_phone` cookie) and per storytime, with only a
generous ceiling per address. Unknown join codes are limited per address, so
codes cannot be walked; a code that exists is neither counted nor refused there.
Each limit is a setting (`STORYTIME_RATELIMIT_…`), its default in `config.Defaults`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import current_app, request
from flask_limiter.util import get_remote_address

from storytime.extensions import limiter
from storytime.share.phone import COOKIE_NAME, COOKIE_PATTERN
from storytime.share.service import phone_hash
from storytime.storytimes.service import code_exists, normalise_code


def _setting(name: str) -> Callable[[], str]:
    """Read a limit from the config at request time, so tests and admins can change it."""
    return lambda: str(current_app.config[name])


def phone_or_address_key() -> str:
    """Key on the phone's random cookie (hashed); a phone without one counts by address."""
    cookie = request.cookies.get(COOKIE_NAME, "")
    if COOKIE_PATTERN.match(cookie):
        return "phone:" + phone_hash(cookie)
    return "address:" + get_remote_address()


def storytime_key() -> str:
    """Key on the storytime the request names, by join code or id."""
    args = request.view_args or {}
    if "code" in args:
        return "storytime-code:" + normalise_code(str(args["code"]))
    return "storytime-id:" + str(args.get("storytime_id", ""))


def address_key() -> str:
    """Key on the client's address (the proxy's X-Forwarded-For under STORYTIME_BEHIND_PROXY)."""
    return "address:" + get_remote_address()


def _is_unsafe() -> bool:
    return request.method in {"POST", "PUT", "PATCH", "DELETE"}


def share_limits(view: Callable[..., Any]) -> Callable[..., Any]:
    """Limit sending and changing shares: per phone, per storytime, and per address."""
    exempt = lambda: not _is_unsafe()  # noqa: E731 - reading the page is never limited here
    # Shared scopes: the form and the JSON endpoint draw on the same allowance.
    decorated = limiter.shared_limit(
        _setting("RATELIMIT_SHARE_PER_PHONE"),
        "share-phone",
        key_func=phone_or_address_key,
        exempt_when=exempt,
    )(view)
    decorated = limiter.shared_limit(
        _setting("RATELIMIT_SHARE_PER_STORYTIME"),
        "share-storytime",
        key_func=storytime_key,
        exempt_when=exempt,
    )(decorated)
    return limiter.shared_limit(
        _setting("RATELIMIT_SHARE_PER_ADDRESS"),
        "share-address",
        key_func=address_key,
        exempt_when=exempt,
    )(decorated)


# Every phone request asks whether its code exists (twice per share, once per limit), and a
# storytime's code seldom stops existing: a code found is believed for a while, per app.
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
    return limiter.shared_limit(
        _setting("RATELIMIT_UNKNOWN_CODE_PER_ADDRESS"),
        "unknown-code",
        key_func=address_key,
        exempt_when=names_a_known_code,
    )(view)
