"""Absolute URLs on our public origin, for anything that leaves the site (provider return and
callback URLs, API responses, links in e-mails): never built from the request's Host header."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import current_app


def public_url(endpoint: str, **values: Any) -> str:
    adapter = current_app.url_map.bind("localhost")
    return current_app.config["PUBLIC_BASE_URL"] + adapter.build(endpoint, values)


def nexkasa_callback_url(reference: str) -> str:
    """The ``callback_url`` for our deposit attempt or payout ``reference``, for both requests:
    ``/hooks/nexkasa/<reference>?token=<NEXKASA_CALLBACK_TOKEN>``. A deposit callback echoes
    nothing of ours (public-notes §3.5), so our reference rides in the path; the token is the
    guide's secret query parameter (nexkasa-api.txt §4, Önemli Notlar 2)."""
    token = urlencode({"token": current_app.config["NEXKASA_CALLBACK_TOKEN"]})
    return f"{public_url('hooks.nexkasa_callback', reference=reference)}?{token}"
