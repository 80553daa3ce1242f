"""SQLAlchemy models; every schema change ships with an Alembic migration under migrations/."""

from webapp.models.events import ProviderEvent, StatusChange
from webapp.models.idempotency import IdempotencyKey
from webapp.models.merchant import Merchant, hash_api_key
from webapp.models.payments import Attempt, Checkout, Paylink, Payout, Refund
from webapp.models.review import ReviewFlag
from webapp.models.staff import ROLES, LoginFailure, StaffSession, StaffUser
from webapp.models.statuses import AttemptStatus, CheckoutStatus, PaylinkStatus, PayoutStatus

__all__ = [
    "ROLES",
    "Attempt",
    "AttemptStatus",
    "Checkout",
    "CheckoutStatus",
    "IdempotencyKey",
    "LoginFailure",
    "Merchant",
    "Paylink",
    "PaylinkStatus",
    "Payout",
    "PayoutStatus",
    "ProviderEvent",
    "Refund",
    "ReviewFlag",
    "StaffSession",
    "StaffUser",
    "StatusChange",
    "hash_api_key",
]
