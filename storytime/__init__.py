"""Storytime: every caregiver at storytime shares at once, from their phone."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from storytime import config as config_module

PACKAGE_DIR = Path(__file__).resolve().parent


def _asset_dir(name: str) -> str:
    """Find templates/ or static/: inside the package in a wheel, beside it in a checkout."""
    packaged = PACKAGE_DIR / name
    return str(packaged if packaged.is_dir() else PACKAGE_DIR.parent / name)


def instance_folder(test_config: dict[str, Any] | None = None) -> str:
    """Return the absolute instance folder: as configured, else ./instance of the cwd.

    Flask's own default for an installed package is <venv>/var/storytime-instance, so
    rebuilding the virtualenv to upgrade would lose the database and the secret key.
    """
    configured = (test_config or {}).get("INSTANCE_PATH") or os.environ.get(
        "STORYTIME_INSTANCE_PATH"
    )
    return str(Path(configured or "instance").resolve())


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure a Storytime application."""
    app = Flask(
        __name__,
        instance_path=instance_folder(test_config),
        instance_relative_config=True,
        template_folder=_asset_dir("templates"),
        static_folder=_asset_dir("static"),
    )
    config_module.load(app, test_config)

    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)

    if app.config["AUTO_MIGRATE"]:
        from storytime.database import upgrade_database

        upgrade_database(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind every extension to the app."""
    from storytime import database, events, extensions, i18n, performance, security
    from storytime.auth import tokens

    # First: its timer starts before, and compression runs after, every other hook.
    performance.init_app(app)
    database.init_app(app)
    extensions.migrate.init_app(
        app, extensions.db, directory=str(PACKAGE_DIR / "migrations"), render_as_batch=True
    )
    extensions.csrf.init_app(app)
    extensions.login_manager.init_app(app)
    extensions.babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        timezone_selector=i18n.select_timezone,
    )
    extensions.limiter.init_app(app)
    tokens.init_app(app)
    security.init_app(app)
    events.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Register one blueprint per feature, each defined in its routes module."""
    # The api and review blueprints gather routes from several modules: importing one
    # adds its routes (the F401 lines).
    from storytime.admin.routes import bp as admin_bp
    from storytime.api import live, openapi, outcomes, playlist, review, shares, storytimes  # noqa: F401
    from storytime.api.routes import bp as api_bp
    from storytime.auth.routes import bp as auth_bp
    from storytime.live.routes import bp as live_bp
    from storytime.main.routes import bp as main_bp
    from storytime.outcomes.routes import bp as outcomes_bp
    from storytime.review import insights_routes, songbook_routes  # noqa: F401
    from storytime.review.public import public_bp as recap_bp
    from storytime.review.routes import bp as review_bp
    from storytime.screens.routes import bp as screens_bp
    from storytime.share.routes import bp as share_bp
    from storytime.storytimes.routes import bp as storytimes_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(live_bp)
    app.register_blueprint(review_bp, url_prefix="/review")
    app.register_blueprint(recap_bp)
    app.register_blueprint(share_bp)
    app.register_blueprint(storytimes_bp)
    app.register_blueprint(screens_bp)
    app.register_blueprint(outcomes_bp)


def register_errorhandlers(app: Flask) -> None:
    """Render errors as pages, or as JSON under /api/."""
    from storytime import errors

    errors.init_app(app)


def register_commands(app: Flask) -> None:
    """Add the operator commands to `flask --app storytime`."""
    from storytime import cli

    cli.init_app(app)


def register_template_helpers(app: Flask) -> None:
    """Add filters and globals that every template uses."""
    from storytime import templating

    templating.init_app(app)
