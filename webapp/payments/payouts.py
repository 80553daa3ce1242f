"""Payouts: the one validation of a payout request, its creation, and what a provider says.

Trust boundary: a ``PayoutSpec`` comes from a merchant (JSON API) or from a customer on a page
reached through a merchant-signed payout link; both are checked here the same way and errors name
the field. Callers of ``apply_withdrawal_outcome`` (webhook and callback handlers, reconciliation,
staff) have already authenticated what they pass in; it only asks the status machine, and never
commits: the caller stores the event that caused it and commits both in one transaction.
Sending to the provider lives in ``payout_sending``.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from schwifty import IBAN
from schwifty.exceptions import InvalidChecksumDigits, SchwiftyException
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import Merchant, Payout, PayoutStatus
from webapp.money import Money, MoneyError, nexkasa_amount, pientegra_amount
from webapp.payments.checkouts import SpecError
from webapp.payments.payout_sending import PIENTEGRA, PROVIDERS, body_hash, send_payout
from webapp.payments.status import Cause, can_transition, lock, transition

CURRENCY = "TRY"  # both providers pay out in TRY only
IBAN_LENGTH = 26  # TR: "TR", 2 check digits, 22 digits
_SPACES = re.compile(r"\s+")
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class PayoutSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    amount: Annotated[str, Field(max_length=20)]
    currency: Annotated[str, Field(max_length=3)]
    iban: Annotated[str, Field(max_length=64)]
    holder_name: Annotated[Text, Field(min_length=2, max_length=200)]
    customer_id: Annotated[Text, Field(max_length=100)]
    reference: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:/-]+$")]
    provider: Literal["pientegra", "nexkasa"] | None = None


class ReferenceExists(Exception):
    """This merchant already has a payout with that reference (or that payout link id)."""

    def __init__(self, payout: Payout) -> None:
        super().__init__(payout.public_id)
        self.payout = payout


def parse_payout_spec(data: object) -> PayoutSpec:
    """The merchant's JSON as a spec, or the first field at fault."""
    try:
        return PayoutSpec.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        raise SpecError(field, first["msg"], code=first["type"]) from None


def normalize_iban(text: str) -> str:
    """A Turkish IBAN typed with or without spaces, upper-case and compact; else SpecError whose
    code says why (``iban_country``, ``iban_length``, ``iban_checksum``, ``iban_invalid``)."""
    compact = _SPACES.sub("", text or "").upper()
    if not compact.startswith("TR"):
        raise SpecError("iban", "must be a Turkish IBAN (TR...)", "iban_country")
    if len(compact) != IBAN_LENGTH:
        raise SpecError("iban", f"a TR IBAN has {IBAN_LENGTH} characters", "iban_length")
    if not compact[2:].isdigit():
        raise SpecError("iban", "a TR IBAN has digits after TR", "iban_invalid")
    try:
        IBAN(compact)
    except InvalidChecksumDigits:
        raise SpecError("iban", "the IBAN's check digits are wrong", "iban_checksum") from None
    except SchwiftyException as error:
        raise SpecError("iban", f"not a valid IBAN: {error}", "iban_invalid") from None
    return compact


def mask_iban(iban: str) -> str:
    """Shown anywhere outside the provider call: only the last four characters."""
    return "*" * max(len(iban) - 4, 0) + iban[-4:]


def payout_amount(text: str, provider: str, *, field: str = "amount") -> Money:
    """A positive TRY amount within the provider's documented range."""
    try:
        amount = Money.parse(text, CURRENCY)
        if not amount.is_positive:
            raise MoneyError("must be greater than zero")
        (pientegra_amount if provider == PIENTEGRA else nexkasa_amount)(amount)
    except (MoneyError, TypeError) as error:
        raise SpecError(field, str(error), "invalid_amount") from None
    return amount


def create_payout(merchant: Merchant, spec: PayoutSpec, *, link_id: str | None = None) -> Payout:
    """Validate and store a ``requested`` payout, committed before anything is sent: for
    Pientegra its Idempotency-Key (made once, here) and the body's hash are in the row first.
    Raises SpecError, or ReferenceExists for a known reference or link id."""
    if spec.currency != CURRENCY:
        raise SpecError("currency", "payouts are paid in TRY only", "currency_not_supported")
    provider = spec.provider or merchant.default_payout_provider
    if provider not in PROVIDERS:
        raise SpecError("provider", f"one of {', '.join(PROVIDERS)}", "invalid_provider")
    amount = payout_amount(spec.amount, provider)
    iban = normalize_iban(spec.iban)
    existing = find_payout_by_reference(merchant, spec.reference)
    if existing is not None:
        raise ReferenceExists(existing)
    payout = Payout(
        merchant_id=merchant.id,
        reference=spec.reference,
        amount_minor=amount.minor,
        currency=CURRENCY,
        provider=provider,
        customer_ref=spec.customer_id,
        iban=iban,
        holder_name=spec.holder_name,
        customer_label=f"{merchant.name} {spec.reference}"[:128],
        link_id=link_id,
    )
    if provider == PIENTEGRA:
        payout.idempotency_key = str(uuid.uuid4())
        payout.request_hash = body_hash(payout)
    db.session.add(payout)
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent request took the reference or the link first
        db.session.rollback()
        raise ReferenceExists(_existing(merchant, spec.reference, link_id)) from None
    return payout


def request_payout(
    merchant: Merchant, spec: PayoutSpec, cause: Cause, *, link_id: str | None = None
) -> Payout:
    """Create the payout and send it at once; the provider's answer is on the returned row."""
    return send_payout(create_payout(merchant, spec, link_id=link_id), cause)


def settle_payout(
    payout: Payout, target: PayoutStatus, cause: Cause, message: str | None = None
) -> bool:
    """A staff decision after checking the provider's panel; commits."""
    changed = apply_withdrawal_outcome(payout, target, cause, message=message)
    db.session.commit()
    return changed


def find_payout_by_reference(merchant: Merchant, reference: str) -> Payout | None:
    statement = select(Payout).where(
        Payout.merchant_id == merchant.id, Payout.reference == reference
    )
    return db.session.execute(statement).scalar_one_or_none()


def find_payout_by_link(link_id: str) -> Payout | None:
    return db.session.execute(select(Payout).where(Payout.link_id == link_id)).scalar_one_or_none()


def _existing(merchant: Merchant, reference: str, link_id: str | None) -> Payout:
    found = find_payout_by_link(link_id) if link_id else None
    return found or find_payout_by_reference(merchant, reference)


P = PayoutStatus


def find_payout_by_provider_reference(provider: str, reference: str) -> Payout | None:
    """The payout a provider-side id names (Pientegra withdrawalId, NexKasa transaction id)."""
    if not reference:
        return None
    statement = select(Payout).where(
        Payout.provider == provider,
        (Payout.provider_reference == reference) | (Payout.provider_transaction_id == reference),
    )
    return db.session.execute(statement).scalars().first()


def find_payout_by_public_id(public_id: str) -> Payout | None:
    if not public_id:
        return None
    return db.session.execute(
        select(Payout).where(Payout.public_id == public_id)
    ).scalar_one_or_none()


def apply_withdrawal_outcome(
    payout: Payout,
    target: PayoutStatus,
    cause: Cause,
    *,
    provider_status: str | None = None,
    message: str | None = None,
) -> bool:
    """Move ``payout`` to ``target``; True when it changed, False for a repeat or a late event.

    A repeat (the same status again) returns False and only keeps the provider's last word; an
    event the machine no longer allows (anything after a terminal status, ``rejected`` after
    ``sent``) returns False and changes nothing: the caller has stored it, so it stays on record.
    ``returned`` arriving before ``sent`` (out-of-order delivery) passes through ``sent``, since a
    returned transfer was sent. The caller commits.
    """
    target = P(target)
    row = lock(Payout, payout.id)
    current = P(row.status)
    if provider_status and current == target:
        row.provider_status = provider_status[:32]
    if current == target or not _reachable(current, target):
        return False
    if provider_status:
        row.provider_status = provider_status[:32]
    if target in (P.FAILED, P.REJECTED) and message:
        row.error_message = message[:300]
    if target != P.NEEDS_REVIEW:
        row.outcome_unknown = False
    if target == P.RETURNED and current != P.SENT:
        transition(row, P.SENT, cause, note=_note(provider_status, None))
    return transition(row, target, cause, note=_note(provider_status, message))


def _reachable(current: PayoutStatus, target: PayoutStatus) -> bool:
    if can_transition(current, target):
        return True
    return target == P.RETURNED and can_transition(current, P.SENT)


def _note(provider_status: str | None, message: str | None) -> str | None:
    parts = [part for part in (provider_status, message) if part]
    return " · ".join(parts)[:500] or None
