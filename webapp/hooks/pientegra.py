"""``POST /hooks/pientegra``: Pientegra's signed webhooks (intent.* and withdrawal.*).

Thin: the raw body and the ``Pientegra-Signature`` header go to
``webapp.payments.pientegra_webhooks.receive``, which verifies before it parses, stores and
applies in one transaction; this only turns its receipt into the JSON answer. A failure of our own
(the database away) is answered 503 so Pientegra delivers the event again: it is never lost. A
body over ``MAX_CONTENT_LENGTH`` is answered 413, and nothing is stored.
"""

from __future__ import annotations

import logging

from flask import request

from webapp.extensions import db
from webapp.hooks.blueprint import answer, bp
from webapp.payments import pientegra_webhooks
from webapp.providers.pientegra import SIGNATURE_HEADER
from webapp.security import cross_site_allowed

log = logging.getLogger(__name__)


@bp.post("/pientegra")
@cross_site_allowed
def pientegra():
    # Outside the ``try``: a body over MAX_CONTENT_LENGTH is the sender's doing, answered 413 by the
    # error handlers (JSON under /hooks/, as for NexKasa), not a failure of ours to log and retry.
    raw_body = request.get_data(cache=False)
    try:
        receipt = pientegra_webhooks.receive(raw_body, request.headers.get(SIGNATURE_HEADER))
    except Exception:  # ours, not the sender's: ask for the event again rather than lose it
        log.exception("pientegra webhook could not be applied")
        db.session.rollback()
        return answer(503, "retry_later", "try again later")
    return answer(receipt.status, receipt.code, receipt.message)
