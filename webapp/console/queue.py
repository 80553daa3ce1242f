"""The NexKasa staff queue: deposits and payouts no callback settled, settled here by hand.

NexKasa has no status endpoint and never retries a callback, so ``flask --app webapp reconcile``
(and requests whose outcome is unknown, or callbacks that did not match) put such items here. A
staff member checks NexKasa's panel and presses "Approved" or "Rejected"; the change goes through
the status machine with the staff member's e-mail as its cause.

Trust boundary: console pages need a staff session (``views._require_staff``); the buttons are
CSRF-protected forms. The use cases in ``webapp.payments.nexkasa_reconcile`` do the work.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.console.views import bp
from webapp.payments import nexkasa_reconcile as queue_cases

_SETTLE = {
    "deposit": queue_cases.settle_deposit_by_hand,
    "payout": queue_cases.settle_payout_by_hand,
}
_DECISIONS = {"approved": True, "rejected": False}


@bp.get("/queue")
def queue():
    return render_template("console/queue.html", items=queue_cases.queue_items())


@bp.post("/queue/<kind>/<reference>/<decision>")
def queue_settle(kind: str, reference: str, decision: str):
    if kind not in _SETTLE or decision not in _DECISIONS:
        abort(404)
    try:
        _SETTLE[kind](reference, _DECISIONS[decision], current_user.user.email)
    except queue_cases.UnknownItem:
        abort(404)
    except queue_cases.AlreadyDecided:
        flash(_("%(reference)s was already decided; nothing was changed.", reference=reference))
    else:
        if _DECISIONS[decision]:
            flash(_("%(reference)s was settled as approved.", reference=reference), "info")
        else:
            flash(_("%(reference)s was settled as rejected.", reference=reference), "info")
    return redirect(url_for("console.queue"), 303)
