"""The playtime playlist API for the dashboard and scripts."""

from __future__ import annotations

from storytime.api.routes import bp  # noqa: F401
