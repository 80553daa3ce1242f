"""Response headers and cross-site request checks that hold for every page.

Every response gets a strict Content-Security-Policy with a per-request nonce; a view that must
talk to a provider (a hosted page, PaytrekJS) widens it for itself with ``allow_sources``.
State-changing requests from another site are refused before any view runs, unless the view is
marked ``cross_site_allowed`` (server-to-server webhooks, provider returns, the Bearer API).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, request
from flask.typing import ResponseReturnValue

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CSP_BASE = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-src": ["'none'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def allow_sources(directive: str, *sources: str) -> None:
    """Widen one CSP directive for the current response only (e.g. a provider's origin)."""
    extra = g.setdefault("csp_extra", {})
    extra.setdefault(directive, []).extend(sources)


def cross_site_allowed(view: Callable[..., ResponseReturnValue]):
    """Mark a view that legitimately receives POSTs from other sites; it must verify them itself."""
    view.cross_site_allowed = True  # type: ignore[attr-defined]
    return view


def _content_security_policy() -> str:
    directives = {name: list(values) for name, values in _CSP_BASE.items()}
    directives["script-src"].append(f"'nonce-{csp_nonce()}'")
    for name, values in g.get("csp_extra", {}).items():
        directives[name] = [v for v in directives.get(name, []) if v != "'none'"] + values
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _refuse_cross_site() -> None:
    if request.method in _SAFE_METHODS or request.endpoint is None:
        return
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "cross_site_allowed", False):
        return
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        abort(403, description="cross-site request refused")
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        ours = {_origin(request.host_url), _origin(current_app.config["PUBLIC_BASE_URL"])}
        if origin.lower() not in ours:
            abort(403, description="cross-site request refused")
    elif origin == "null":
        abort(403, description="cross-site request refused")


def _security_headers(response):
    headers = response.headers
    headers["Content-Security-Policy"] = _content_security_policy()
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    hsts = current_app.config["HSTS_SECONDS"]
    if hsts:
        headers["Strict-Transport-Security"] = f"max-age={hsts}; includeSubDomains"
    # Payment pages show live statuses: nothing but static files may be cached anywhere.
    if request.endpoint != "static" and "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.before_request(_refuse_cross_site)
    app.after_request(_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
