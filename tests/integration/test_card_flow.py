"""Card use cases against the live Paytrek simulator: settling, reconciliation, late successes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tests.support.sandbox import PaytrekCaller
from webapp.extensions import db
from webapp.models import Checkout, ReviewFlag
from webapp.models.types import utcnow
from webapp.payments import card, card_operations
from webapp.payments.status import Cause, timeline
from webapp.providers.paytrek import Sale

CUSTOMER = factories.CARD_CUSTOMER


@pytest.fixture
def paytrek(sandbox):
    return PaytrekCaller(sandbox)


@pytest.fixture
def checkout_id(app):
    with app.app_context():
        merchant, _ = factories.merchant()
        row = factories.checkout(
            merchant, items=[{"name": "Kitap", "quantity": 1, "unit_price_minor": 150_000}]
        )
        db.session.commit()
        return row.public_id


def load(checkout_id) -> Checkout:
    return db.session.execute(
        select(Checkout).where(Checkout.public_id == checkout_id)
    ).scalar_one()


def start(checkout_id) -> str:
    checkout = load(checkout_id)
    card.start_hosted(checkout, CUSTOMER, "https://site.example/return")
    return load(checkout_id).attempts[-1].provider_reference


def paytrek_reports(checkout_id, *, amount: str, status: str):
    """Start a hosted sale, then settle its attempt with the sale Paytrek's lookup reports (the
    simulator cannot produce every such sale); returns the attempt."""
    token = start(checkout_id)
    attempt = load(checkout_id).attempts[0]
    sale = Sale.from_wire(
        {
            "sale_token": token,
            "order_id": attempt.provider_order_id,
            "currency": "TRY",
            "amount": amount,
            "status": status,
        }
    )
    card.apply_sale(attempt.id, sale, Cause.return_page(), customer_back=True)
    db.session.commit()
    return attempt


def test_reconcile_settles_a_sale_nobody_came_back_for(app, runner, paytrek, checkout_id):
    with app.app_context():
        token = start(checkout_id)
    assert paytrek.charge(token).json()["succeeded"] is True
    first = runner.invoke(args=["reconcile", "--older-than-minutes", "0"])
    assert "asked 1, settled 1" in first.output
    second = runner.invoke(args=["reconcile", "--older-than-minutes", "0"])
    assert "asked 0, settled 0, expired 0" in second.output
    with app.app_context():
        checkout = load(checkout_id)
        assert checkout.status == "paid"
        assert [(c.to_status, c.cause_kind) for c in timeline(checkout)] == [
            ("pending", "customer"),
            ("paid", "reconciliation"),
        ]


def test_reconcile_abandons_expired_sales_and_expires_checkouts(app, runner, sandbox, checkout_id):
    with app.app_context():
        start(checkout_id)
        load(checkout_id).expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    result = runner.invoke(args=["reconcile", "--older-than-minutes", "0"])
    assert "settled 0, expired 0" in result.output  # Paytrek's sale is still payable
    sandbox.advance(2 * 3600)
    result = runner.invoke(args=["reconcile", "--older-than-minutes", "0"])
    assert "settled 1, expired 1" in result.output
    with app.app_context():
        checkout = load(checkout_id)
        assert checkout.status == "expired"
        assert [a.status for a in checkout.attempts] == ["abandoned"]


def test_a_late_success_is_flagged_not_applied(app, paytrek, checkout_id):
    with app.app_context():
        first = start(checkout_id)
        card.confirm_return(checkout_id, first)  # back without paying: abandoned
        second = start(checkout_id)
    assert first != second
    paytrek.charge(second)
    paytrek.charge(first)  # the older page was still open in another tab
    with app.app_context():
        card.confirm_return(checkout_id, second)
        card.confirm_return(checkout_id, first)
        checkout = load(checkout_id)
        assert checkout.status == "paid"
        assert [a.status for a in checkout.attempts] == ["succeeded", "succeeded"]
        flags = db.session.execute(select(ReviewFlag)).scalars().all()
        assert [f.kind for f in flags] == ["late_success"]
        assert checkout.attempts[0].provider_order_id in flags[0].detail
        assert [c.to_status for c in timeline(checkout)].count("paid") == 1


def test_a_sale_for_another_amount_goes_to_review(app, checkout_id):
    with app.app_context():
        paytrek_reports(checkout_id, amount="1.00", status="Paid")
        checkout = load(checkout_id)
        assert checkout.status == "needs_review"
        assert db.session.execute(select(ReviewFlag.kind)).scalar_one() == "amount_mismatch"


def test_return_while_paytrek_is_down_then_recovers(app, sandbox, paytrek, checkout_id):
    with app.app_context():
        token = start(checkout_id)
    paytrek.charge(token)
    sandbox.fault("paytrek", "GET /api/v2/sale/<sale_token>/", status=503, count=20)
    client = app.test_client()
    response = client.get(f"/pay/{checkout_id}/return?token={token}")
    assert response.status_code == 303
    with app.app_context():
        assert load(checkout_id).status == "pending"
    sandbox.clear_faults()
    page = client.get(f"/pay/{checkout_id}/result", headers={"Accept-Language": "en"})
    assert "Payment received" in page.get_data(as_text=True)


def test_return_by_cross_site_post_without_cookies(app, paytrek, checkout_id):
    with app.app_context():
        token = start(checkout_id)
    paytrek.charge(token)
    response = app.test_client().post(
        f"/pay/{checkout_id}/return",
        data={"token": token},
        headers={"Origin": "https://bank.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/pay/{checkout_id}/result"
    with app.app_context():
        assert load(checkout_id).status == "paid"


def test_an_authorised_sale_on_an_automatic_checkout_waits_for_staff_capture(app, checkout_id):
    # Paytrek's fraud check puts a sale in REVIEW as a pre-authorisation "capture edilmesi gerekir"
    # (paytrek-api.txt, Capture): until staff capture it, no money is collected.
    with app.app_context():
        attempt = paytrek_reports(checkout_id, amount="1500.00", status="Authorized")
        checkout = load(checkout_id)
        assert checkout.capture == "automatic"
        assert (checkout.status, checkout.attempts[0].status) == ("authorized", "authorized")
        flags = db.session.execute(select(ReviewFlag)).scalars().all()
        assert [f.kind for f in flags] == ["held_for_review"]
        assert attempt.provider_order_id in flags[0].detail


def test_a_3ds_charge_whose_answer_is_lost_is_read_on_the_return_page(
    app, sandbox, paytrek, checkout_id
):
    card_token = paytrek.vault().json()["card_token"]
    # Paytrek gets the charge, and its answer is lost.
    sandbox.fault("paytrek", "POST /api/v2/charge_with_token/", after=True, status=502, count=1)
    with app.app_context():
        target = card.start_3ds(
            load(checkout_id), CUSTOMER, "https://site.example/return?x=1", card_token, 1
        )
        token = load(checkout_id).attempts[0].provider_reference
        assert target == f"https://site.example/return?x=1&token={token}"
        assert load(checkout_id).attempts[0].status == "started"  # not failed: it may be paid
    assert len(sandbox.records("paytrek", "sales")) == 1
    with app.app_context():
        # The sale says what happened: here its 3-D page was never shown, so nothing was charged
        # and the customer may try again; a paid sale would have settled the checkout as paid.
        card.confirm_return(checkout_id, token)
        checkout = load(checkout_id)
        assert (checkout.status, checkout.attempts[0].status) == ("open", "abandoned")
        assert checkout.attempts[0].error_code is None  # not counted as a decline


def test_reading_a_rejected_authorisation_again_cancels_the_checkout(app, sandbox, paytrek):
    # A REVIEW (pre-authorised) sale that is cancelled "REJECTED a çevrilir" (paytrek-api.txt).
    with app.app_context():
        merchant, _ = factories.merchant()
        row = factories.checkout(
            merchant,
            capture="manual",
            items=[{"name": "Kitap", "quantity": 1, "unit_price_minor": 150_000}],
        )
        db.session.commit()
        checkout_id = row.public_id
        token = start(checkout_id)
    paytrek.charge(token)
    with app.app_context():
        card.confirm_return(checkout_id, token)
        assert load(checkout_id).status == "authorized"
    sale = paytrek.sale(token).json()
    sandbox.fault(
        "paytrek",
        "GET /api/v2/sale/<sale_token>/",
        status=200,
        body={**sale, "status": "REJECTED"},
        count=1,
    )
    with app.app_context():
        card_operations.reread(load(checkout_id), "staff@example.com")
        assert load(checkout_id).status == "cancelled"
