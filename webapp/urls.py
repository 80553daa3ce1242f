"""Absolute URLs on our public origin, for anything that leaves the site (provider return and
callback URLs, API responses, links in e-mails): never built from the request's Host header."""

from __future__ import annotations

from typing import Any

from flask import current_app


def public_url(endpoint: str, **values: Any) -> str:
    adapter = current_app.url_map.bind("localhost")
    return current_app.config["PUBLIC_BASE_URL"] + adapter.build(endpoint, values)
