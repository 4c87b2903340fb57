"""The live room: event log, doorbells, streams, the dashboard and the display."""

from __future__ import annotations

from flask import Blueprint, Flask

from storytime.live.notifier import LocalNotifier, RedisNotifier

bp = Blueprint("live", __name__)


def init_app(app: Flask) -> None:
    """Choose the notifier: Redis pub/sub when configured, else in-process."""
    redis_url = app.config["REDIS_URL"]
    notifier = RedisNotifier(redis_url) if redis_url else LocalNotifier()
    app.extensions["storytime_notifier"] = notifier


def notifier_for(app: Flask) -> LocalNotifier:
    """Return the app's notifier."""
    return app.extensions["storytime_notifier"]
