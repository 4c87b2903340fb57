"""Absolute links to a storytime, built from STORYTIME_BASE_URL (the QR must work off-site)."""

from __future__ import annotations

from flask import current_app, url_for

from storytime.models import Branch, Storytime


def base_url() -> str:
    """Return the public address of this install, without a trailing slash."""
    return current_app.config["BASE_URL"].rstrip("/")


def absolute(path: str) -> str:
    """Return a site path as an absolute link under the base URL."""
    return base_url() + path


def join_url(st: Storytime) -> str:
    """Return the caregivers' join link, the one in the QR code."""
    return f"{base_url()}/j/{st.code}"


def display_url(st: Storytime) -> str:
    """Return the secret display link (staff only: it needs no login)."""
    return f"{base_url()}/display/{st.display_token}"


def branch_url(branch: Branch) -> str:
    """Return a branch's permanent link, for a QR that stays on the wall."""
    return f"{base_url()}/b/{branch.slug}"


def qr_svg_url(st: Storytime) -> str:
    return absolute(url_for("storytimes.qr_svg", storytime_id=st.id))


def qr_png_url(st: Storytime) -> str:
    return absolute(url_for("storytimes.qr_png", storytime_id=st.id))
