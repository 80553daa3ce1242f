"""``flask --app webapp reconcile`` for Pientegra: deposits and withdrawals that no webhook
settled are asked about and applied like the webhook would; payouts whose create was lost are
resent with the same key and body. No webhook URL is set here: every event is lost."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests import factories
from webapp.extensions import db
from webapp.models import Checkout, Payout
from webapp.payments import pientegra_deposits as deposits
from webapp.payments.payout_sending import body_hash, send_payout
from webapp.payments.status import Cause, timeline

DEPOSITS_ROUTE = "POST /api/v1/external/deposits"
WITHDRAWALS_ROUTE = "POST /api/v1/external/withdrawals"


@pytest.fixture
def merchant(app: Flask) -> int:
    with app.app_context():
        row, _ = factories.merchant("Kitapçı")
        db.session.commit()
        return row.id


def new_checkout(app: Flask, merchant: int) -> str:
    with app.app_context():
        owner = db.session.get(factories.Merchant, merchant)
        row = factories.checkout(owner, methods=["pientegra_transfer"], customer_ref="cust-7")
        db.session.commit()
        return row.public_id


def load(checkout_id: str) -> Checkout:
    db.session.expire_all()
    return db.session.execute(
        select(Checkout).where(Checkout.public_id == checkout_id)
    ).scalar_one()


def start(app: Flask, checkout_id: str) -> str:
    with app.app_context():
        return deposits.start_deposit(load(checkout_id), "203.0.113.9").provider_reference


def new_payout(app: Flask, merchant: int) -> int:
    """A Pientegra payout as the payouts API stores it: key and body hash before any send."""
    with app.app_context():
        owner = db.session.get(factories.Merchant, merchant)
        payout = factories.payout(owner, idempotency_key=str(uuid.uuid4()))
        payout.request_hash = body_hash(payout)
        db.session.commit()
        return payout.id


def send(app: Flask, payout_id: int) -> dict[str, Any]:
    with app.app_context():
        payout = send_payout(db.session.get(Payout, payout_id), Cause.merchant_api("test"))
        return {
            name: getattr(payout, name)
            for name in ("status", "outcome_unknown", "provider_reference")
        }


def reconcile(app: Flask) -> str:
    return app.test_cli_runner().invoke(args=["reconcile", "--older-than-minutes", "0"]).output


# --- reconciliation ----------------------------------------------------------------------------


def test_reconciliation_settles_deposits_no_webhook_reached_and_a_second_run_changes_nothing(
    app, sandbox, pientegra, merchant
):
    paid, review, lapsed = (new_checkout(app, merchant) for _ in range(3))
    pientegra.operator("intents", start(app, paid), "approve")
    pientegra.operator("intents", start(app, review), "approve", amount="149999")
    lapsed_intent = start(app, lapsed)
    sandbox.advance(31 * 60)  # only the undecided deposit lapses

    first, second = reconcile(app), reconcile(app)

    assert "asked 3, settled 3, expired 0" in first
    assert "asked 0, settled 0, expired 0" in second
    with app.app_context():
        assert [load(c).status for c in (paid, review, lapsed)] == [
            "paid",
            "needs_review",
            "expired",
        ]
        assert [(c.to_status, c.cause_kind) for c in timeline(load(paid))][-1] == (
            "paid",
            "reconciliation",
        )
    assert pientegra.get(f"/external/intents/{lapsed_intent}").json()["status"] == "AUTO_CANCELLED"


def test_reconciliation_abandons_a_deposit_whose_creation_was_never_confirmed(
    app, sandbox, merchant
):
    checkout_id = new_checkout(app, merchant)
    sandbox.fault("pientegra", DEPOSITS_ROUTE, status=503, count=3)
    with app.app_context(), pytest.raises(deposits.DepositUnavailable):
        deposits.start_deposit(load(checkout_id), "203.0.113.9")

    assert "asked 0, settled 1" in reconcile(app)
    with app.app_context():
        assert load(checkout_id).status == "open"
        assert [a.status for a in load(checkout_id).attempts] == ["abandoned"]


def test_reconciliation_reads_withdrawal_outcomes_from_the_list(app, sandbox, pientegra, merchant):
    returned, rejected, waiting = (new_payout(app, merchant) for _ in range(3))
    ids = {p: send(app, p)["provider_reference"] for p in (returned, rejected, waiting)}
    for action in ("approve", "send", "return"):
        pientegra.operator("withdrawals", ids[returned], action)
    pientegra.operator("withdrawals", ids[rejected], "reject", reason="name mismatch")

    first, second = reconcile(app), reconcile(app)

    assert "asked 3, settled 2" in first
    assert "asked 1, settled 0" in second  # the one still under review is asked again
    with app.app_context():
        statuses = [db.session.get(Payout, p).status for p in (returned, rejected, waiting)]
        assert statuses == ["returned", "rejected", "pending"]
        assert db.session.get(Payout, rejected).error_message == "name mismatch"
        assert [(c.to_status, c.cause_kind) for c in timeline(db.session.get(Payout, returned))][
            -2:
        ] == [("sent", "reconciliation"), ("returned", "reconciliation")]


def test_a_payout_whose_create_was_lost_is_resent_with_the_same_key(app, sandbox, merchant):
    payout_id = new_payout(app, merchant)
    sandbox.fault("pientegra", WITHDRAWALS_ROUTE, after=True, drop=True, count=3)
    lost = send(app, payout_id)
    assert (lost["status"], lost["outcome_unknown"]) == ("requested", True)

    output = reconcile(app)

    assert "asked 1, settled 1" in output
    (withdrawal,) = sandbox.records("pientegra", "withdrawals")
    with app.app_context():
        payout = db.session.get(Payout, payout_id)
        assert (payout.status, payout.provider_reference) == ("pending", withdrawal["id"])
