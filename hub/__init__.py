"""The Arendalsuka hub: a festival programme with sign-ups, mail and livestreams."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application: config, extensions, blueprints, error pages, CLI."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from hub.config import load_config
    from hub.logs import configure_logging

    load_config(app, test_config)
    configure_logging(app)
    trust_proxies(app)
    init_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_cli(app)
    warn_about_process_local_limits(app)
    return app


def gunicorn_workers(argv: list[str], environ: Mapping[str, str]) -> int | None:
    """How many worker processes the gunicorn serving us runs (None: not under gunicorn)."""
    if "gunicorn" not in sys.modules:
        return None
    args = [*argv, *environ.get("GUNICORN_CMD_ARGS", "").split()]
    workers = int(environ.get("WEB_CONCURRENCY", "1") or 1)
    for i, arg in enumerate(args):
        if arg in ("-w", "--workers") and i + 1 < len(args) and args[i + 1].isdigit():
            workers = int(args[i + 1])
        elif arg.startswith("--workers=") and arg.split("=", 1)[1].isdigit():
            workers = int(arg.split("=", 1)[1])
        elif arg.startswith("-w") and arg[2:].isdigit():
            workers = int(arg[2:])
    return workers


def warn_about_process_local_limits(app: Flask) -> None:
    """memory:// rate-limit counters live in one process: say so when there are several."""
    workers = gunicorn_workers(sys.argv, os.environ)
    if workers and workers > 1 and str(app.config["RATELIMIT_STORAGE_URI"]).startswith("memory://"):
        logging.getLogger("hub").warning(
            "RATELIMIT_STORAGE_URI is memory:// with %d gunicorn workers: each worker counts on its "
            "own, so the sign-up and login limits are %d times as loose; set HUB_RATELIMIT_STORAGE_URI "
            "to redis://host:6379",
            workers,
            workers,
        )


def trust_proxies(app: Flask) -> None:
    """Take the client address and scheme from the proxies in front (PROXY_FIX_X_FOR of them)."""
    hops = int(app.config["PROXY_FIX_X_FOR"] or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def init_extensions(app: Flask) -> None:
    from hub import cache, i18n, security
    from hub.database import init_database
    from hub.extensions import csrf, db, limiter, mail, migrate

    init_database(app)
    security.init_app(app)  # first: its request checks run before any other
    cache.init_app(app)  # then cached public pages are answered (before the rate limiter's hook)
    migrate.init_app(app, db, directory=str(Path(app.root_path) / "migrations"))
    csrf.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    from hub.organiser import auth as organiser_auth

    organiser_auth.init_app(app)  # Flask-Login for the organiser area


def register_blueprints(app: Flask) -> None:
    from hub.health import bp as health_bp
    from hub.livestream.views import bp as livestream_bp
    from hub.programme import bp as programme_bp
    from hub.registration import bp as registration_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(programme_bp)
    app.register_blueprint(registration_bp)
    app.register_blueprint(livestream_bp)
    from hub.organiser import bp as organiser_bp

    app.register_blueprint(organiser_bp)


def register_error_handlers(app: Flask) -> None:
    from hub.errors import init_app

    init_app(app)


def register_cli(app: Flask) -> None:
    from hub.cli import hub_cli

    app.cli.add_command(hub_cli)
