"""NexKasa's callbacks: ``POST /hooks/nexkasa/<our reference>?token=<NEXKASA_CALLBACK_TOKEN>``.

The view only hands the raw request to ``webapp.payments.nexkasa_callbacks.receive``, which
verifies the token (constant time), the caller's address (``request.remote_addr``: ProxyFix has
already read exactly ``TRUSTED_PROXY_HOPS`` of ``X-Forwarded-For``, never more) and the signature
when one is present, then stores and applies the callback.

Trust boundary: server to server, so no CSRF token and no cross-site check; the caller is
authenticated by the use case. The query string carries our secret: it is never logged here, and
gunicorn's access log format (``gunicorn.conf.py``) leaves query strings out.
"""

from __future__ import annotations

from flask import request

from webapp.hooks.blueprint import answer, bp
from webapp.payments import nexkasa_callbacks
from webapp.providers.nexkasa import SIGNATURE_HEADER
from webapp.security import cross_site_allowed


@bp.post("/nexkasa/<reference>")
@cross_site_allowed
def nexkasa_callback(reference: str):
    result = nexkasa_callbacks.receive(
        reference,
        request.get_data(cache=False),
        token=request.args.get("token"),
        remote_addr=request.remote_addr or "",
        signature=request.headers.get(SIGNATURE_HEADER),
    )
    return answer(result.status, result.code, result.message)
