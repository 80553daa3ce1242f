"""What customers pay and receive: checkouts, payouts, paylinks. Amounts are minor units."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.merchant import Merchant
from webapp.models.statuses import AttemptStatus, CheckoutStatus, PaylinkStatus, PayoutStatus
from webapp.models.types import UTCDateTime, public_id, utcnow
from webapp.money import Money


class _Amount:
    """Money from the integer minor units and currency columns."""

    amount_minor: Mapped[int]
    currency: Mapped[str]

    @property
    def amount(self) -> Money:
        return Money.from_minor(self.amount_minor, self.currency)


class Checkout(_Amount, db.Model):
    __tablename__ = "checkouts"
    __table_args__ = (UniqueConstraint("merchant_id", "order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: public_id("co"))
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    order_id: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(24), default=CheckoutStatus.OPEN, index=True)
    method: Mapped[str | None] = mapped_column(String(32))
    provider: Mapped[str | None] = mapped_column(String(16))
    provider_reference: Mapped[str | None] = mapped_column(String(128), index=True)
    customer_ref: Mapped[str | None] = mapped_column(String(100))
    customer_first_name: Mapped[str | None] = mapped_column(String(100))
    customer_last_name: Mapped[str | None] = mapped_column(String(100))
    customer_email: Mapped[str | None] = mapped_column(String(254))
    customer_phone: Mapped[str | None] = mapped_column(String(32))
    billing_address: Mapped[str | None] = mapped_column(String(500))
    billing_city: Mapped[str | None] = mapped_column(String(100))
    billing_state: Mapped[str | None] = mapped_column(String(100))
    billing_country: Mapped[str | None] = mapped_column(String(2))
    billing_zipcode: Mapped[str | None] = mapped_column(String(20))
    success_url: Mapped[str | None] = mapped_column(String(2000))
    cancel_url: Mapped[str | None] = mapped_column(String(2000))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capture: Mapped[str] = mapped_column(String(16), default="automatic")
    methods: Mapped[list[str]] = mapped_column(JSON, default=list)
    items: Mapped[list[dict]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    merchant: Mapped[Merchant] = relationship()
    attempts: Mapped[list[Attempt]] = relationship(
        back_populates="checkout", order_by="Attempt.number"
    )


class Attempt(_Amount, db.Model):
    """One try at paying a checkout with one provider: a Paytrek sale, a transfer request.

    Each has its own provider order id (Paytrek refuses a reused one with 30120), derived from the
    checkout's public id and the attempt number so the return page can map it back.
    """

    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("checkout_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkout_id: Mapped[int] = mapped_column(ForeignKey("checkouts.id"), index=True)
    number: Mapped[int] = mapped_column()
    method: Mapped[str] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(16))
    provider_order_id: Mapped[str] = mapped_column(String(64), unique=True)
    provider_reference: Mapped[str | None] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(24), default=AttemptStatus.STARTED, index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    provider_status: Mapped[str | None] = mapped_column(String(32))
    error_code: Mapped[str | None] = mapped_column(String(32))
    merchant_message: Mapped[str | None] = mapped_column(String(300))
    customer_message: Mapped[str | None] = mapped_column(String(300))
    redirect_url: Mapped[str | None] = mapped_column(String(2000))
    customer_ip: Mapped[str | None] = mapped_column(String(45))
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    # Set when a capture/cancel/refund timed out: nothing more until the sale is read again.
    outcome_unknown: Mapped[bool] = mapped_column(default=False)
    # Bank transfers: the key and body hash are stored before the first request is sent, so a
    # retry after a timeout or a crash reuses both (Pientegra idempotency).
    idempotency_key: Mapped[str | None] = mapped_column(String(36), unique=True)
    request_hash: Mapped[str | None] = mapped_column(String(64))
    provider_transaction_id: Mapped[str | None] = mapped_column(String(64), index=True)
    bank_details: Mapped[dict | None] = mapped_column(JSON)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requested_minor: Mapped[int | None] = mapped_column(BigInteger)
    credited_minor: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    checkout: Mapped[Checkout] = relationship(back_populates="attempts")
    refunds: Mapped[list[Refund]] = relationship(back_populates="attempt", order_by="Refund.id")


class Refund(_Amount, db.Model):
    """A refund (or cancel) staff asked the provider for; ``status`` says what we know of it."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # refund | cancel | capture
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))  # succeeded | failed | unknown
    staff_email: Mapped[str] = mapped_column(String(254))
    error_code: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    attempt: Mapped[Attempt] = relationship(back_populates="refunds")


class Payout(_Amount, db.Model):
    __tablename__ = "payouts"
    __table_args__ = (UniqueConstraint("merchant_id", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: public_id("po"))
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    reference: Mapped[str] = mapped_column(String(100))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(24), default=PayoutStatus.REQUESTED, index=True)
    provider: Mapped[str] = mapped_column(String(16))
    provider_reference: Mapped[str | None] = mapped_column(String(128), index=True)
    customer_ref: Mapped[str] = mapped_column(String(100))
    iban: Mapped[str] = mapped_column(String(34))
    holder_name: Mapped[str] = mapped_column(String(200))
    customer_label: Mapped[str | None] = mapped_column(String(128))
    # A payout link creates at most one payout: a copied or replayed link sends nothing twice.
    link_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(36), unique=True)
    request_hash: Mapped[str | None] = mapped_column(String(64))
    reference_no: Mapped[str | None] = mapped_column(String(64))
    provider_transaction_id: Mapped[str | None] = mapped_column(String(64), index=True)
    provider_status: Mapped[str | None] = mapped_column(String(32))
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(String(300))
    outcome_unknown: Mapped[bool] = mapped_column(default=False)
    # Set while a sender waits for the provider's answer: nobody else sends meanwhile.
    sending_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    merchant: Mapped[Merchant] = relationship()


class Paylink(_Amount, db.Model):
    __tablename__ = "paylinks"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: public_id("pl"))
    reference_no: Mapped[str] = mapped_column(String(100), unique=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="TRY")
    status: Mapped[str] = mapped_column(String(24), default=PaylinkStatus.SENT, index=True)
    name_surname: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    provider_reference: Mapped[str | None] = mapped_column(String(128), index=True)
    url: Mapped[str | None] = mapped_column(String(2000))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
