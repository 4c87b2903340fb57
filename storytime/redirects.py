"""Where a `next` parameter may send someone: only to a path on this site."""

from __future__ import annotations

from urllib.parse import urlsplit


def is_safe_path(target: str | None) -> bool:
    """Return whether `target` is a path on this site, never another host.

    Browsers read `/\\evil.example` and `/<tab>/evil.example` as `//evil.example`,
    so backslashes and control characters are refused along with `//`.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(char) < 0x21 or ord(char) == 0x7F for char in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_path(target: str | None, fallback: str) -> str:
    """Return `target` when it is a path on this site, else `fallback`."""
    return target if is_safe_path(target) else fallback
