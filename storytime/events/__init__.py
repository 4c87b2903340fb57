"""The spine below every service: each storytime's event log and the doorbells it rings.

Services append to the log (`events.log.record()`) in their own transaction; the
notifier wakes the live streams after commit. Nothing here imports a service or a view.
"""

from __future__ import annotations

from flask import Flask

from storytime.events.notifier import LocalNotifier, RedisNotifier


def init_app(app: Flask) -> None:
    """Choose the notifier: Redis pub/sub when configured, else in-process."""
    redis_url = app.config["REDIS_URL"]
    interval = float(app.config["FAULT_LOG_INTERVAL_SECONDS"])
    notifier = RedisNotifier(redis_url, interval) if redis_url else LocalNotifier()
    app.extensions["storytime_notifier"] = notifier


def notifier_for(app: Flask) -> LocalNotifier:
    """Return the app's notifier."""
    return app.extensions["storytime_notifier"]
