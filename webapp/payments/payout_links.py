"""Merchant-signed payout links: verify one, and turn the customer's request into one payout.

Parameters: ``merchant`` (public id), ``link_id`` (the merchant's, ``[A-Za-z0-9._:-]``, up to 50),
``customer_id`` (sent to the provider as the customer), ``max_amount`` (decimal, e.g.
``"2500.00"``), ``currency`` (``TRY``), ``expires`` (unix seconds, at most 7 days ahead) and
``signature``: the checkout links' scheme (``webapp.payments.links``) with the purpose
``payout``, so a checkout link's signature is never accepted here.

Trust boundary: nothing in the query is trusted before the signature verifies; the IBAN, name
and amount come from the customer and go through ``payouts.create_payout`` like an API request.
A link id creates at most one payout (a unique key on ``merchant id:link id``): a second
submit, a replayed or copied link, answers with the payout that exists and sends nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Merchant, Payout
from webapp.models.types import utcnow
from webapp.money import Money, MoneyError, plain_amount_text
from webapp.payments import links
from webapp.payments.checkouts import SpecError
from webapp.payments.payouts import (
    CURRENCY,
    ReferenceExists,
    find_payout_by_link,
    normalize_iban,
    parse_payout_spec,
    payout_amount,
    request_payout,
)
from webapp.payments.status import Cause

REQUIRED = ("merchant", "link_id", "customer_id", "max_amount", "currency", "expires", "signature")
MAX_LIFETIME = timedelta(days=7)
_LINK_ID = re.compile(r"^[A-Za-z0-9._:-]{1,50}$")
# How people in Turkey write amounts: "250,50" or "1.500,00" (dot groups thousands).


class LinkExpired(Exception):
    pass


class FieldErrors(Exception):
    """Every field the customer must fix at once, each a SpecError (its ``code`` says why)."""

    def __init__(self, errors: dict[str, SpecError]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class PayoutLink:
    merchant: Merchant
    link_id: str
    customer_id: str
    max_amount: Money
    expires_at: datetime

    @property
    def key(self) -> str:
        """What the unique ``payouts.link_id`` column holds: link ids are the merchant's own."""
        return f"{self.merchant.id}:{self.link_id}"

    @property
    def expired(self) -> bool:
        return self.expires_at <= utcnow()


def build_payout_link(merchant: Merchant, base_url: str, fields: Mapping[str, str]) -> str:
    """The URL a merchant would build (the CLI prints it; tests use it); raises LinkError."""
    params = {"merchant": merchant.public_id, "currency": CURRENCY, **fields}
    if not _LINK_ID.fullmatch(params.get("link_id", "")):
        raise links.LinkError("link_id: letters, digits and . _ : - (up to 50)")
    try:
        Money.parse(params.get("max_amount", ""), CURRENCY)
    except MoneyError as error:
        raise links.LinkError(f"max_amount: {error}") from None
    return f"{base_url}?{links.signed_query(params, merchant.link_secret, links.PAYOUT)}"


def open_payout_link(params: Mapping[str, str]) -> PayoutLink:
    """The verified link, expired or not (a used link still shows its payout); raises LinkError."""
    unknown = set(params) - set(REQUIRED)
    missing = [name for name in REQUIRED if not params.get(name)]
    if unknown or missing:
        raise links.LinkError(f"unexpected {sorted(unknown)} or missing {missing}")
    merchant = db.session.execute(
        select(Merchant).where(Merchant.public_id == params["merchant"])
    ).scalar_one_or_none()
    if merchant is None:
        raise links.LinkError("unknown merchant")
    links.verify(params, merchant.link_secret, links.PAYOUT)
    if not _LINK_ID.fullmatch(params["link_id"]) or len(params["customer_id"]) > 100:
        raise links.LinkError("link_id or customer_id malformed")
    if params["currency"] != CURRENCY:
        raise links.LinkError("currency: TRY only")
    try:
        max_amount = Money.parse(params["max_amount"], CURRENCY)
    except MoneyError:
        raise links.LinkError("max_amount: a decimal amount") from None
    return PayoutLink(
        merchant=merchant,
        link_id=params["link_id"],
        customer_id=params["customer_id"],
        max_amount=max_amount,
        expires_at=_expiry(params["expires"]),
    )


def payout_of(link: PayoutLink) -> Payout | None:
    return find_payout_by_link(link.key)


def submit(link: PayoutLink, iban: str, holder_name: str, amount: str) -> Payout:
    """The link's payout, created and sent now, or the one it already made. Raises FieldErrors
    (``iban``, ``holder_name``, ``amount``; code ``required`` when blank) or LinkExpired."""
    existing = payout_of(link)
    if existing is not None:
        return existing
    if link.expired:
        raise LinkExpired
    amount = plain_amount_text(amount)
    errors = {}
    for field, given, check in (
        ("iban", iban, lambda: normalize_iban(iban)),
        ("holder_name", holder_name, lambda: _holder_name(holder_name)),
        ("amount", amount, lambda: _amount(link, amount)),
    ):
        try:
            if not given.strip():
                raise SpecError(field, "required", "required")
            check()
        except SpecError as error:
            errors[field] = error
    if errors:
        raise FieldErrors(errors)
    spec = parse_payout_spec(
        {
            "amount": amount,
            "currency": CURRENCY,
            "iban": iban,
            "holder_name": holder_name,
            "customer_id": link.customer_id,
            "reference": f"link:{link.link_id}",
        }
    )
    try:
        return request_payout(link.merchant, spec, Cause.customer(link.link_id), link_id=link.key)
    except SpecError as error:
        raise FieldErrors({error.field: error}) from None
    except ReferenceExists as exists:
        if exists.payout.link_id != link.key:  # the merchant used this reference by API
            raise links.LinkError("this link id is already taken") from None
        return exists.payout


def _holder_name(text: str) -> None:
    if not 2 <= len(text.strip()) <= 200:
        raise SpecError("holder_name", "2 to 200 characters", "holder_name")


def _amount(link: PayoutLink, text: str) -> None:
    if payout_amount(text, link.merchant.default_payout_provider) > link.max_amount:
        raise SpecError("amount", f"at most {link.max_amount.amount}", "amount_above_limit")


def _expiry(text: str) -> datetime:
    expires_at = links.expiry(text)
    if expires_at - utcnow() > MAX_LIFETIME:
        raise links.LinkError("expires: at most 7 days ahead")
    return expires_at
