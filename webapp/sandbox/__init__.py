"""Simulated payment providers for development, demos and tests: a separate Flask app.

Each provider answers under ``/<name>`` exactly as its document says (NexKasa:
``POST /nexkasa/api/public/deposit-request/``), so the product talks to it over HTTP with only
a different base URL. ``/_sandbox/`` holds the framework: operator page, reset, clock, faults,
webhook deliveries. Nothing in the product imports this package.

Trust boundary: a development tool for localhost. State lives in process memory, credentials
are whatever the config says, and anyone who can reach it can reset it or inject faults.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.exceptions import HTTPException

from . import framework, injection
from .json_provider import SandboxJSONProvider
from .providers import PROVIDERS
from .services import EXTENSION_KEY, SandboxServices

logger = logging.getLogger(__name__)


def create_sandbox_app(config: Mapping[str, Any]) -> Flask:
    """``config`` holds the credentials the simulated providers accept, under the same names the
    product's settings use (``NEXKASA_API_KEY``...): the two sides are configured alike."""
    required = [key for provider in PROVIDERS for key in provider.config_keys]
    missing = [key for key in required if not config.get(key)]
    if missing:
        raise ValueError(f"sandbox config is missing {', '.join(missing)}")
    app = Flask(__name__, static_folder=None)
    app.config.from_mapping(config)
    app.json = SandboxJSONProvider(app)
    app.extensions[EXTENSION_KEY] = SandboxServices.create(PROVIDERS)
    _register_blueprints(app)
    injection.install(app)
    app.register_error_handler(HTTPException, _json_error)
    logger.warning(
        "Payment provider SIMULATOR (webapp.sandbox): no real provider, no real money. "
        "Never point production at it."
    )
    return app


def _register_blueprints(app: Flask) -> None:
    app.register_blueprint(framework.bp)
    for provider in PROVIDERS:
        app.register_blueprint(provider.api, url_prefix=provider.url_prefix)
        if provider.operator is not None:
            app.register_blueprint(provider.operator, url_prefix=f"{provider.url_prefix}/_operator")


def _json_error(error: HTTPException) -> tuple[dict[str, Any], int]:
    return {"error": error.name, "detail": error.description}, error.code or 500
