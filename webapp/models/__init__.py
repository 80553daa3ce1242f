"""SQLAlchemy models; every schema change ships with an Alembic migration under migrations/."""

from webapp.models.events import ProviderEvent, StatusChange
from webapp.models.merchant import Merchant, hash_api_key
from webapp.models.payments import Checkout, Paylink, Payout
from webapp.models.staff import ROLES, LoginFailure, StaffSession, StaffUser
from webapp.models.statuses import CheckoutStatus, PaylinkStatus, PayoutStatus

__all__ = [
    "ROLES",
    "Checkout",
    "CheckoutStatus",
    "LoginFailure",
    "Merchant",
    "Paylink",
    "PaylinkStatus",
    "Payout",
    "PayoutStatus",
    "ProviderEvent",
    "StaffSession",
    "StaffUser",
    "StatusChange",
    "hash_api_key",
]
