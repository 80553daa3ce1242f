"""apply_withdrawal_outcome: the one entry point for webhooks, callbacks, reconciliation, staff."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests import factories
from webapp.extensions import db
from webapp.models import Payout, PayoutStatus
from webapp.payments.payouts import (
    apply_withdrawal_outcome,
    find_payout_by_provider_reference,
    find_payout_by_public_id,
    settle_payout,
)
from webapp.payments.status import Cause, timeline

P = PayoutStatus


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def payout(ctx):
    merchant, _ = factories.merchant()
    row = factories.payout(merchant, status=P.PENDING, provider_reference="wd_1")
    db.session.commit()
    return row


def apply(payout: Payout, target: PayoutStatus, event: str, **fields) -> bool:
    changed = apply_withdrawal_outcome(payout, target, Cause.webhook(event), **fields)
    db.session.commit()
    return changed


def reload(payout: Payout) -> Payout:
    return db.session.execute(select(Payout).where(Payout.id == payout.id)).scalar_one()


def path(payout: Payout) -> list[tuple[str, str, str]]:
    return [(e.from_status, e.to_status, e.cause_ref) for e in timeline(payout)]


def test_sent_then_returned_is_on_the_timeline(payout):
    assert apply(payout, P.SENT, "evt_1", provider_status="SENT") is True
    assert apply(payout, P.RETURNED, "evt_2", provider_status="RETURNED") is True

    row = reload(payout)
    assert (row.status, row.provider_status) == ("returned", "RETURNED")
    assert path(row) == [("pending", "sent", "evt_1"), ("sent", "returned", "evt_2")]


def test_a_repeat_is_a_no_op(payout):
    assert apply(payout, P.SENT, "evt_1") is True
    assert apply(payout, P.SENT, "evt_1_again") is False
    assert len(timeline(reload(payout))) == 1


def test_an_event_after_a_terminal_status_is_ignored_not_raised(payout):
    assert apply(payout, P.REJECTED, "evt_1", message="Hesap kapalı") is True
    assert apply(payout, P.SENT, "evt_2") is False
    assert apply(payout, P.RETURNED, "evt_3") is False

    row = reload(payout)
    assert (row.status, row.error_message) == ("rejected", "Hesap kapalı")
    assert len(timeline(row)) == 1


def test_rejected_after_sent_is_refused(payout):
    apply(payout, P.SENT, "evt_1")
    assert apply(payout, P.REJECTED, "evt_2") is False
    assert reload(payout).status == "sent"


def test_returned_arriving_before_sent_passes_through_sent(payout):
    """Out-of-order delivery: a returned transfer was sent, so both steps are recorded."""
    assert apply(payout, P.RETURNED, "evt_2") is True
    assert apply(payout, P.SENT, "evt_1") is False  # the late one changes nothing

    row = reload(payout)
    assert row.status == "returned"
    assert [(a, b) for a, b, _ in path(row)] == [("pending", "sent"), ("sent", "returned")]


def test_a_queued_nexkasa_withdrawal_moves_from_requested_to_pending(ctx):
    merchant, _ = factories.merchant()
    row = factories.payout(merchant, provider="nexkasa", outcome_unknown=True)
    db.session.commit()

    assert apply(row, P.PENDING, "cb_1", provider_status="WAITING_ASSIGNMENT") is True
    assert apply(row, P.PENDING, "cb_2", provider_status="PENDING") is False

    row = reload(row)
    assert row.provider_status == "PENDING"  # the provider's last word is kept on a repeat
    assert row.outcome_unknown is False


def test_the_caller_commits(payout):
    apply_withdrawal_outcome(payout, P.SENT, Cause.webhook("evt_1"))
    db.session.rollback()
    assert reload(payout).status == "pending"


def test_staff_settle_a_payout_under_review(ctx):
    merchant, _ = factories.merchant()
    row = factories.payout(merchant, status=P.NEEDS_REVIEW, outcome_unknown=True)
    db.session.commit()

    assert settle_payout(row, P.SENT, Cause.staff("ops@example.com")) is True
    assert path(reload(row)) == [("needs_review", "sent", "ops@example.com")]


def test_finders(payout):
    assert find_payout_by_provider_reference("pientegra", "wd_1").id == payout.id
    assert find_payout_by_provider_reference("nexkasa", "wd_1") is None
    assert find_payout_by_provider_reference("pientegra", "") is None
    assert find_payout_by_public_id(payout.public_id).id == payout.id
    assert find_payout_by_public_id("po_nope") is None
