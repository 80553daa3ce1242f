"""Logging for the app: one plain format, and redaction of secrets, card numbers and IBANs on
every handler, so a careless log line anywhere still cannot leak them."""

from __future__ import annotations

import logging

from flask import Flask

from webapp.providers._redact import install_log_redaction

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def install(app: Flask) -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO, format=_FORMAT)
    install_log_redaction()
    app.logger.setLevel(logging.INFO)
