"""Configuration: defaults, then instance/config.py, then STORYTIME_* variables, then tests."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

ENV_PREFIX = "STORYTIME_"
SECRET_KEY_FILE = "secret_key"


class Defaults:
    """Settings for an embedded install: one process, SQLite in the instance folder."""

    # Left empty on purpose: `load` fills it from the instance folder.
    DATABASE_URL = ""
    SECRET_KEY = ""
    BASE_URL = "http://127.0.0.1:5000"
    REDIS_URL = ""
    AUTO_MIGRATE: bool | None = None  # None: upgrade at start on SQLite only
    LIBRARY_NAME = "Our Library"
    TIMEZONE = "UTC"
    # Staff pages speak LANGUAGES; pages a family or the TV shows speak FAMILY_LANGUAGES too
    # (a superset: more home languages, see docs/translations.md). DEFAULT_LANGUAGE is what a
    # phone falls back to when a prompt or recap note has no translation in its language.
    LANGUAGES = ["en", "es", "fr", "ar"]
    FAMILY_LANGUAGES = ["en", "es", "fr", "ar", "zh_Hans", "vi"]
    DEFAULT_LANGUAGE = "en"
    BEHIND_PROXY = False
    SHARE_MAX_LENGTH = 500
    NAME_MAX_LENGTH = 40
    MAX_CONTENT_LENGTH = 64 * 1024
    WORD_LIST: list[str] = []
    PURGE_AFTER_DAYS = 0  # 0 keeps everything; >0 purges personal text at start
    # A storytime left open closes by itself this long after its planned end.
    AUTO_CLOSE_MINUTES = 120
    # Each process checks for overdue storytimes at most this often (0: never; see
    # storytimes/auto_close.py, and the `close-overdue` command for cron).
    AUTO_CLOSE_SWEEP_SECONDS = 60
    # Outcome check-ins: open while the storytime is, and this long after it closes; a
    # follow-up is asked of a phone that checked in at the branch this many days before;
    # a group of fewer responses is only counted, never shown.
    CHECKIN_HOURS_AFTER_CLOSE = 48
    FOLLOW_UP_AFTER_DAYS = 28
    OUTCOMES_MIN_GROUP = 5
    STREAM_MAX_SECONDS = 300
    STREAM_HEARTBEAT_SECONDS = 15
    # A screen that stops reading (asleep, gone off the Wi-Fi) is dropped once one write has
    # waited this long, so it cannot hold a server thread (docs/deploy.md, Faults).
    STREAM_SEND_TIMEOUT_SECONDS = 30
    # A fault (Redis down, the database dropping connections) is logged when it starts, then
    # at most once per this many seconds while it lasts, then once when it ends.
    FAULT_LOG_INTERVAL_SECONDS = 60
    DISPLAY_FRAME_ANCESTORS = ""
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    # Redis down must not take sharing down: limits fall back to memory, never a 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # Library Wi-Fi puts a room behind one address: shares count per phone and per
    # storytime, with only a ceiling per address (see ratelimits.py).
    RATELIMIT_SHARE_PER_PHONE = "10 per minute; 120 per hour"
    RATELIMIT_SHARE_PER_STORYTIME = "300 per minute"
    RATELIMIT_SHARE_PER_ADDRESS = "300 per minute; 3000 per hour"
    RATELIMIT_UNKNOWN_CODE_PER_ADDRESS = "30 per minute; 300 per hour"
    # Typing a TV's pairing code, per staff account; a TV starting a pairing, per address.
    RATELIMIT_SCREEN_PAIRING = "10 per minute; 60 per hour"
    RATELIMIT_TV_PAIRING = "30 per hour"
    # Flask-Compress, for pages and JSON; performance.py compresses static files itself.
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_MIMETYPES = [
        "application/javascript",
        "application/json",
        "image/svg+xml",
        "text/css",
        "text/html",
        "text/javascript",
        "text/plain",
    ]
    COMPRESS_MIN_SIZE = 500  # below this the headers cost more than they save
    SERVER_TIMING = False  # adds `Server-Timing: app;dur=<ms>`; the benchmarks turn it on
    # The embedded server (`storytime`, serve.py); its command-line options win.
    HOST = "127.0.0.1"
    PORT = 5000
    # Each open live screen holds a thread: a library system's 1,000 screens and 100
    # threads to spare (see docs/performance.md, Threads).
    THREADS = 1100
    # Ordinary requests at once (0: no limit); live streams never wait for one
    # (see docs/performance.md, Request slots).
    REQUEST_SLOTS = 4
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE: bool | None = None  # None: secure when BASE_URL is https
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # "Keep me signed in" lasts this long, and no staff session lasts longer (Flask-Login's
    # default is a year). A number is seconds, as STORYTIME_REMEMBER_COOKIE_DURATION=86400.
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    REMEMBER_COOKIE_NAME = "remember_token"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    WTF_CSRF_CHECK_DEFAULT = False  # checked in security.py so bearer tokens can skip it
    WTF_CSRF_TIME_LIMIT = 3600
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {}
    BABEL_DEFAULT_LOCALE = "en"
    # Absolute, so catalogs are found wherever the app runs from (checkout or wheel).
    BABEL_TRANSLATION_DIRECTORIES = str(Path(__file__).resolve().parent / "translations")


def load(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill app.config in order of precedence and derive the settings that depend on it."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    _load_environment(app)
    if test_config:
        app.config.update(test_config)
    _derive(app)


def _load_environment(app: Flask) -> None:
    """Read STORYTIME_* variables; JSON values (true, 30, [..]) are parsed like Flask does."""
    app.config.from_prefixed_env(ENV_PREFIX.rstrip("_"))
    # Plain strings that JSON parsing must never turn into other types.
    for key in ("DATABASE_URL", "SECRET_KEY", "BASE_URL", "REDIS_URL", "HOST"):
        value = os.environ.get(ENV_PREFIX + key)
        if value is not None:
            app.config[key] = value


def _derive(app: Flask) -> None:
    """Settle values that depend on others: database file, secret key, engine options."""
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'storytime.sqlite'}"
    url = app.config["DATABASE_URL"]
    if url.startswith("postgres://"):  # the form Heroku-style hosts hand out
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["IS_SQLITE"] = url.startswith("sqlite")
    if app.config["AUTO_MIGRATE"] is None:
        app.config["AUTO_MIGRATE"] = app.config["IS_SQLITE"]
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret_key(instance)
    app.config["BASE_URL"] = app.config["BASE_URL"].rstrip("/")
    if app.config["SESSION_COOKIE_SECURE"] is None:
        app.config["SESSION_COOKIE_SECURE"] = app.config["BASE_URL"].startswith("https://")
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    if app.config["REDIS_URL"] and "RATELIMIT_STORAGE_URI" not in app.config:
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")


def _instance_secret_key(instance: Path) -> str:
    """Return the install's secret key, generating it once into the instance folder."""
    key_file = instance / SECRET_KEY_FILE
    try:
        return key_file.read_text().strip()
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    # O_EXCL: when two workers start at once, only one key is ever written.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
