"""The status machine against a real database: edges, no-op repeats, the timeline, and the lock."""

from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from tests import factories
from webapp.extensions import db
from webapp.models import Checkout, CheckoutStatus, PayoutStatus, StatusChange
from webapp.payments.status import Cause, IllegalTransition, timeline, transition


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def test_allowed_change_is_recorded_with_its_cause(ctx):
    owner, _ = factories.merchant()
    row = factories.checkout(owner)
    assert transition(row, CheckoutStatus.PENDING, Cause.customer("attempt-1"))
    assert transition(row, CheckoutStatus.PAID, Cause.webhook("evt_1"))
    db.session.commit()
    entries = [(c.from_status, c.to_status, c.cause_kind, c.cause_ref) for c in timeline(row)]
    assert entries == [
        ("open", "pending", "customer", "attempt-1"),
        ("pending", "paid", "webhook", "evt_1"),
    ]


def test_repeat_is_a_no_op(ctx):
    owner, _ = factories.merchant()
    row = factories.checkout(owner, status=CheckoutStatus.PENDING)
    assert transition(row, CheckoutStatus.PAID, Cause.return_page("tok"))
    assert not transition(row, CheckoutStatus.PAID, Cause.webhook("evt_2"))
    db.session.commit()
    assert len(timeline(row)) == 1


def test_terminal_status_never_changes(ctx):
    owner, _ = factories.merchant()
    row = factories.checkout(owner, status=CheckoutStatus.EXPIRED)
    db.session.commit()
    with pytest.raises(IllegalTransition, match="expired -> paid"):
        transition(row, CheckoutStatus.PAID, Cause.webhook("late"))
    db.session.rollback()
    assert db.session.get(Checkout, row.id).status == CheckoutStatus.EXPIRED
    assert timeline(row) == []


def test_payout_returned_after_sent(ctx):
    owner, _ = factories.merchant()
    row = factories.payout(owner)
    for status in (PayoutStatus.PENDING, PayoutStatus.SENT, PayoutStatus.RETURNED):
        transition(row, status, Cause.webhook(f"evt-{status}"))
    db.session.commit()
    assert [c.to_status for c in timeline(row)] == ["pending", "sent", "returned"]


def test_a_stale_object_is_reread_under_the_lock(ctx, app):
    """A copy loaded before another request changed the row must not overwrite that change."""
    owner, _ = factories.merchant()
    row = factories.checkout(owner, status=CheckoutStatus.PENDING)
    row_id = row.id
    db.session.commit()
    # This session keeps a copy that still says "pending", without holding a transaction open.
    set_committed_value(row, "status", CheckoutStatus.PENDING)
    with app.app_context():  # another request settles it meanwhile
        other = db.session.get(Checkout, row_id)
        transition(other, CheckoutStatus.PAID, Cause.webhook("evt_first"))
        db.session.commit()
    assert not transition(row, CheckoutStatus.PAID, Cause.return_page("tok"))
    db.session.commit()
    assert [c.cause_ref for c in timeline(row)] == ["evt_first"]


@pytest.mark.postgres
def test_concurrent_confirmations_make_one_change(app, database_url):
    """Two workers confirm the same checkout at the same instant on separate connections."""
    if not database_url.startswith("postgresql"):
        message = "needs PostgreSQL: set TEST_DATABASE_URL"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    rounds, workers = 15, 4
    with app.app_context():
        owner, _ = factories.merchant()
        ids = [factories.checkout(owner, status=CheckoutStatus.PENDING).id for _ in range(rounds)]
        db.session.commit()

    errors: list[BaseException] = []

    def confirm(checkout_id: int, barrier: threading.Barrier, n: int) -> None:
        try:
            with app.app_context():
                row = db.session.get(Checkout, checkout_id)  # both read "pending" first
                barrier.wait(timeout=10)
                transition(row, CheckoutStatus.PAID, Cause.webhook(f"evt-{n}"))
                db.session.commit()
        except BaseException as error:  # reported below; a thread cannot fail the test itself
            errors.append(error)

    for checkout_id in ids:
        barrier = threading.Barrier(workers)
        threads = [
            threading.Thread(target=confirm, args=(checkout_id, barrier, n)) for n in range(workers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert errors == []
    with app.app_context():
        counts = db.session.execute(
            select(StatusChange.entity_id, func.count())
            .where(StatusChange.entity_id.in_(ids), StatusChange.entity_type == "checkout")
            .group_by(StatusChange.entity_id)
        ).all()
        assert sorted(counts) == [(checkout_id, 1) for checkout_id in sorted(ids)]
        statuses = db.session.execute(select(Checkout.status).where(Checkout.id.in_(ids)))
        assert {status for (status,) in statuses} == {"paid"}
