"""The outcome check-in API: caregivers check in, staff read the results."""

from __future__ import annotations

from storytime.api.routes import bp  # noqa: F401
