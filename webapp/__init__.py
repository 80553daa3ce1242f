"""The application factory: it wires configuration, extensions and blueprints, and does no work."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp.config import load_settings

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_mapping(load_settings(os.environ, overrides))
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{ROOT / 'instance' / 'webapp.db'}"
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    _register_extensions(app)
    _register_blueprints(app)
    _register_hooks(app)
    return app


def _register_extensions(app: Flask) -> None:
    from webapp import i18n, logging_setup
    from webapp.auth.sessions import load_session
    from webapp.extensions import babel, csrf, db, login_manager, migrate

    logging_setup.install(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    login_manager.init_app(app)
    login_manager.user_loader(load_session)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = None  # sessions are server-side rows; see webapp.auth


def _register_blueprints(app: Flask) -> None:
    from webapp.api import bp as api_bp
    from webapp.auth import bp as auth_bp
    from webapp.checkout import bp as checkout_bp
    from webapp.console import bp as console_bp
    from webapp.hooks import bp as hooks_bp
    from webapp.pages import bp as pages_bp
    from webapp.payout import bp as payout_bp

    app.register_blueprint(pages_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(console_bp)
    app.register_blueprint(checkout_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(hooks_bp)
    app.register_blueprint(payout_bp)


def _register_hooks(app: Flask) -> None:
    from webapp import cli, errors, i18n, input_guard, rate_limits, security

    rate_limits.init_app(app)
    security.init_app(app)
    input_guard.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)
    cli.init_app(app)
