"""The status words of checkouts, payouts and paylinks: the same words the API and webhooks show.

Which change between them is allowed lives in ``webapp.payments.status``; this only names them.
"""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class CheckoutStatus(StrEnum):
    OPEN = "open"
    PENDING = "pending"
    AUTHORIZED = "authorized"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    NEEDS_REVIEW = "needs_review"

    @property
    def label(self) -> str:
        return str(_CHECKOUT_LABELS[self])


class PayoutStatus(StrEnum):
    REQUESTED = "requested"
    PENDING = "pending"
    SENT = "sent"
    REJECTED = "rejected"
    RETURNED = "returned"
    FAILED = "failed"
    NEEDS_REVIEW = "needs_review"

    @property
    def label(self) -> str:
        return str(_PAYOUT_LABELS[self])


class PaylinkStatus(StrEnum):
    SENT = "sent"
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return str(_PAYLINK_LABELS[self])


class AttemptStatus(StrEnum):
    """One try at paying; the checkout's own status follows from its attempts."""

    STARTED = "started"  # created at the provider, customer not back yet
    SUCCEEDED = "succeeded"
    AUTHORIZED = "authorized"
    FAILED = "failed"
    ABANDONED = "abandoned"  # customer came back without finishing

    @property
    def label(self) -> str:
        return str(_ATTEMPT_LABELS[self])


_ATTEMPT_LABELS = {
    AttemptStatus.STARTED: _l("Started"),
    AttemptStatus.SUCCEEDED: _l("Succeeded"),
    AttemptStatus.AUTHORIZED: _l("Authorized"),
    AttemptStatus.FAILED: _l("Failed"),
    AttemptStatus.ABANDONED: _l("Abandoned"),
}
_CHECKOUT_LABELS = {
    CheckoutStatus.OPEN: _l("Open"),
    CheckoutStatus.PENDING: _l("Pending"),
    CheckoutStatus.AUTHORIZED: _l("Authorized"),
    CheckoutStatus.PAID: _l("Paid"),
    CheckoutStatus.PARTIALLY_REFUNDED: _l("Partially refunded"),
    CheckoutStatus.REFUNDED: _l("Refunded"),
    CheckoutStatus.FAILED: _l("Failed"),
    CheckoutStatus.EXPIRED: _l("Expired"),
    CheckoutStatus.CANCELLED: _l("Cancelled"),
    CheckoutStatus.NEEDS_REVIEW: _l("Needs review"),
}
_PAYOUT_LABELS = {
    PayoutStatus.REQUESTED: _l("Requested"),
    PayoutStatus.PENDING: _l("Pending"),
    PayoutStatus.SENT: _l("Sent"),
    PayoutStatus.REJECTED: _l("Rejected"),
    PayoutStatus.RETURNED: _l("Returned"),
    PayoutStatus.FAILED: _l("Failed"),
    PayoutStatus.NEEDS_REVIEW: _l("Needs review"),
}
_PAYLINK_LABELS = {
    PaylinkStatus.SENT: _l("Sent"),
    PaylinkStatus.PAID: _l("Paid"),
    PaylinkStatus.FAILED: _l("Failed"),
    PaylinkStatus.EXPIRED: _l("Expired"),
    PaylinkStatus.CANCELLED: _l("Cancelled"),
}
