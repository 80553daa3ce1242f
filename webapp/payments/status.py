"""The one status machine: which change is allowed, under a row lock, recorded with its cause.

A repeated change (the return page and the webhook racing, a duplicate event) is a no-op; a
change along an edge that is not listed raises ``IllegalTransition``; terminal statuses have no
edges at all. The lock is ``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite transactions begin
IMMEDIATE (see ``webapp.extensions``), which serialises writers the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import NoResultFound

from webapp.extensions import db
from webapp.models import (
    Attempt,
    AttemptStatus,
    Checkout,
    CheckoutStatus,
    Paylink,
    PaylinkStatus,
    Payout,
    PayoutStatus,
    StatusChange,
)

A, C, P, L = AttemptStatus, CheckoutStatus, PayoutStatus, PaylinkStatus

# Keyed by kind first: StrEnum members equal their strings, so "pending" of a checkout and
# "pending" of a payout would collide in one flat dict.
EDGES: dict[type[StrEnum], dict[StrEnum, frozenset[StrEnum]]] = {
    CheckoutStatus: {
        # An attempt that comes back abandoned returns the checkout to OPEN until it expires.
        C.OPEN: frozenset(
            {C.PENDING, C.AUTHORIZED, C.PAID, C.FAILED, C.EXPIRED, C.CANCELLED, C.NEEDS_REVIEW}
        ),
        C.PENDING: frozenset(
            {C.OPEN, C.AUTHORIZED, C.PAID, C.FAILED, C.EXPIRED, C.CANCELLED, C.NEEDS_REVIEW}
        ),
        C.AUTHORIZED: frozenset({C.PAID, C.CANCELLED, C.NEEDS_REVIEW}),
        C.PAID: frozenset({C.PARTIALLY_REFUNDED, C.REFUNDED, C.NEEDS_REVIEW}),
        C.PARTIALLY_REFUNDED: frozenset({C.REFUNDED, C.NEEDS_REVIEW}),
        C.NEEDS_REVIEW: frozenset({C.PAID, C.FAILED, C.REFUNDED, C.CANCELLED}),
        C.REFUNDED: frozenset(),
        C.FAILED: frozenset(),
        C.EXPIRED: frozenset(),
        C.CANCELLED: frozenset(),
    },
    PayoutStatus: {
        P.REQUESTED: frozenset({P.PENDING, P.SENT, P.REJECTED, P.FAILED, P.NEEDS_REVIEW}),
        P.PENDING: frozenset({P.SENT, P.REJECTED, P.FAILED, P.NEEDS_REVIEW}),
        # A transfer that was sent can still bounce back from the receiving bank.
        P.SENT: frozenset({P.RETURNED}),
        P.NEEDS_REVIEW: frozenset({P.PENDING, P.SENT, P.REJECTED, P.FAILED}),
        P.REJECTED: frozenset(),
        P.RETURNED: frozenset(),
        P.FAILED: frozenset(),
    },
    AttemptStatus: {
        A.STARTED: frozenset({A.SUCCEEDED, A.AUTHORIZED, A.FAILED, A.ABANDONED}),
        A.AUTHORIZED: frozenset({A.SUCCEEDED}),
        # The customer came back without finishing, but the provider may still settle the sale
        # (a second tab, a slow bank): that late outcome is recorded, never dropped.
        A.ABANDONED: frozenset({A.SUCCEEDED, A.AUTHORIZED, A.FAILED}),
        A.SUCCEEDED: frozenset(),
        A.FAILED: frozenset(),
    },
    PaylinkStatus: {
        L.SENT: frozenset({L.PAID, L.FAILED, L.EXPIRED, L.CANCELLED}),
        L.PAID: frozenset(),
        L.FAILED: frozenset(),
        L.EXPIRED: frozenset(),
        L.CANCELLED: frozenset(),
    },
}

_ENTITIES: dict[type, tuple[str, type[StrEnum]]] = {
    Attempt: ("attempt", AttemptStatus),
    Checkout: ("checkout", CheckoutStatus),
    Payout: ("payout", PayoutStatus),
    Paylink: ("paylink", PaylinkStatus),
}


class IllegalTransition(Exception):
    """The requested change is not an edge of the machine (a terminal status, or a skipped step)."""


@dataclass(frozen=True)
class Cause:
    """Why a status changed: shown on the timeline, so staff can tell a webhook from a person."""

    kind: str
    ref: str | None = None

    @classmethod
    def return_page(cls, token: str | None = None) -> Cause:
        return cls("return_page", token)

    @classmethod
    def webhook(cls, event_id: str) -> Cause:
        return cls("webhook", event_id)

    @classmethod
    def staff(cls, user_email: str) -> Cause:
        return cls("staff", user_email)

    @classmethod
    def reconciliation(cls, ref: str | None = None) -> Cause:
        return cls("reconciliation", ref)

    @classmethod
    def merchant_api(cls, merchant_public_id: str) -> Cause:
        return cls("merchant_api", merchant_public_id)

    @classmethod
    def customer(cls, ref: str | None = None) -> Cause:
        return cls("customer", ref)


def is_terminal(status: StrEnum) -> bool:
    return not EDGES[type(status)][status]


def can_transition(current: StrEnum, target: StrEnum) -> bool:
    return current == target or target in EDGES[type(current)][current]


def lock(model: type, entity_id: int):
    """Load the row under a lock, refreshing anything the session already holds.

    A row already locked in the current transaction is returned as the session holds it: the
    lock is ours until commit, so nobody can have changed it, and asking again costs a round trip.
    """
    if (model, entity_id) in _locked_rows():
        row = db.session.get(model, entity_id)
        if row is not None:
            return row
    row = lock_where(model, model.id == entity_id)
    if row is None:
        raise NoResultFound(f"no {model.__name__} {entity_id}")
    return row


def lock_where(model: type, *criteria):
    """The one row matching ``criteria``, loaded under a lock (None when there is none); ``lock``
    then answers for it without another query until the transaction ends."""
    statement = (
        select(model).where(*criteria).with_for_update().execution_options(populate_existing=True)
    )
    row = db.session.execute(statement).scalar_one_or_none()
    if row is not None:
        _locked_rows().add((model, row.id))
    return row


def _locked_rows() -> set:
    """Rows this session has locked in its current transaction (forgotten when it ends)."""
    session = db.session()
    transaction = session.get_transaction()
    if transaction is None:
        return set()  # no transaction yet: nothing can be locked
    info = session.info
    if info.get("locks_for") is not transaction:
        info["locks_for"], info["locks"] = transaction, set()
    return info["locks"]


def transition(entity, target: StrEnum, cause: Cause, note: str | None = None) -> bool:
    """Move ``entity`` to ``target`` if allowed; True when it changed, False for a repeat.

    The caller commits: the change and whatever caused it (a stored event, a refund row) land in
    one transaction, or neither does.
    """
    kind, statuses = _ENTITIES[type(entity)]
    target = statuses(target)
    row = lock(type(entity), entity.id)
    current = statuses(row.status)
    if current == target:
        return False
    if target not in EDGES[statuses][current]:
        raise IllegalTransition(f"{kind} {row.id}: {current} -> {target} is not allowed")
    row.status = target
    db.session.add(
        StatusChange(
            entity_type=kind,
            entity_id=row.id,
            from_status=current,
            to_status=target,
            cause_kind=cause.kind,
            cause_ref=cause.ref,
            note=note,
        )
    )
    db.session.flush()
    return True


def annotate(entity, cause: Cause, note: str) -> None:
    """Put something on the timeline that changes no status (money that came too late)."""
    kind, _ = _ENTITIES[type(entity)]
    db.session.add(
        StatusChange(
            entity_type=kind,
            entity_id=entity.id,
            from_status=entity.status,
            to_status=entity.status,
            cause_kind=cause.kind,
            cause_ref=cause.ref,
            note=note,
        )
    )


def timeline(entity) -> list[StatusChange]:
    kind, _ = _ENTITIES[type(entity)]
    statement = (
        select(StatusChange)
        .where(StatusChange.entity_type == kind, StatusChange.entity_id == entity.id)
        .order_by(StatusChange.at, StatusChange.id)
    )
    return list(db.session.execute(statement).scalars())
