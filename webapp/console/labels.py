"""Staff-facing words for the codes the payment records keep.

Flags, timeline causes, card operations, capture modes and providers are stored as codes: stable,
searchable and language-free. The console shows these words instead, in the reader's language. A
code missing here is shown as it is, never hidden. What a record says in its own free text (a
flag's detail, a provider's message) is recorded data and stays as it was written.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import pgettext

from webapp.models import AttemptStatus
from webapp.payments.methods import Method


def flag_label(kind: str) -> str:
    labels = {
        "late_success": _("Paid after the payment was already settled: refund or decide"),
        "held_for_review": _("Held by Paytrek for review: capture or cancel it"),
        "amount_mismatch": _("Amount or order does not match what we asked for"),
        "late_arrival": _("Money arrived after the payment expired"),
        "approved_after_final": _("Approved after the payment was already settled"),
        "configuration": _("Provider configuration problem"),
        "outcome_unknown": _("Outcome unknown: check the provider"),
        "nexkasa_outcome_unknown": _("Outcome unknown: check NexKasa's panel"),
        "nexkasa_unconfirmed": _("No decision from NexKasa yet"),
        "nexkasa_mismatch": _("NexKasa callback does not match our record"),
        "nexkasa_conflict": _("NexKasa decision contradicts an earlier one"),
        "nexkasa_unmatched": _("NexKasa callback for nothing of ours"),
        "pientegra_unreadable": _("Pientegra notification we could not read"),
        "idempotency_conflict": _("Same Idempotency-Key with another body: not resent"),
        "idempotency_key_expired": _("Idempotency-Key near Pientegra's 24 hours: not resent"),
        "request_changed": _("The payout changed since it was first sent"),
        "provider_error": _("Unexpected answer from the provider"),
    }
    return labels.get(kind, kind)


def cause_label(kind: str) -> str:
    labels = {
        "customer": _("customer"),
        "return_page": _("return page"),
        "webhook": _("provider notification"),
        "staff": _("staff"),
        "reconciliation": _("reconciliation"),
        "merchant_api": _("merchant API"),
    }
    return labels.get(kind, kind)


def operation_label(kind: str) -> str:
    labels = {
        "capture": pgettext("card operation", "Capture"),
        "cancel": pgettext("card operation", "Cancel"),
        "refund": pgettext("card operation", "Refund"),
    }
    return labels.get(kind, kind)


def operation_result_label(status: str) -> str:
    labels = {"succeeded": _("succeeded"), "failed": _("failed"), "unknown": _("outcome unknown")}
    return labels.get(status, status)


def capture_label(mode: str) -> str:
    labels = {"automatic": _("automatic"), "manual": _("manual, by staff")}
    return labels.get(mode, mode)


def method_label(method: str) -> str:
    try:
        return str(Method(method).label)
    except ValueError:
        return method


def attempt_status_label(status: str) -> str:
    try:
        return str(AttemptStatus(status).label)
    except ValueError:
        return status


def provider_label(provider: str | None) -> str:
    names = {"paytrek": "Paytrek", "pientegra": "Pientegra", "nexkasa": "NexKasa"}
    return names.get(provider or "", provider or "")


# Available in every console template (registered with the console blueprint).
TEMPLATE_GLOBALS = (
    flag_label,
    cause_label,
    operation_label,
    operation_result_label,
    capture_label,
    method_label,
    attempt_status_label,
    provider_label,
)
