"""Pientegra bank-transfer deposits end to end: our site live, the Pientegra sandbox posting
its signed webhooks to it, its operator deciding, and the reconciler asking when no webhook came."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token
from webapp.extensions import db
from webapp.models import Checkout, ProviderEvent, ReviewFlag
from webapp.payments import pientegra_deposits as deposits
from webapp.payments.status import timeline

DEPOSITS_ROUTE = "POST /api/v1/external/deposits"
CUSTOMER_IP = "203.0.113.9"


@pytest.fixture
def merchant(app: Flask) -> dict[str, Any]:
    with app.app_context():
        row, api_key = factories.merchant("Kitapçı")
        db.session.commit()
        return {"id": row.id, "key": api_key}


def new_checkout(app: Flask, merchant: dict[str, Any], **fields: Any) -> str:
    with app.app_context():
        fields = {"methods": ["pientegra_transfer"], "customer_ref": "cust-7", **fields}
        row = factories.checkout(db.session.get(factories.Merchant, merchant["id"]), **fields)
        db.session.commit()
        return row.public_id


@pytest.fixture
def checkout_id(app: Flask, merchant: dict[str, Any]) -> str:
    return new_checkout(app, merchant, order_id="ORDER-7")


def load(checkout_id: str) -> Checkout:
    db.session.expire_all()
    return db.session.execute(
        select(Checkout).where(Checkout.public_id == checkout_id)
    ).scalar_one()


def start(app: Flask, checkout_id: str) -> str:
    """A deposit started as the customer's page starts it; returns the intent id."""
    with app.app_context():
        attempt = deposits.start_deposit(load(checkout_id), CUSTOMER_IP)
        return attempt.provider_reference


def flags(app: Flask) -> list[ReviewFlag]:
    with app.app_context():
        return list(db.session.execute(select(ReviewFlag).order_by(ReviewFlag.id)).scalars())


def changes(app: Flask, checkout_id: str) -> list[tuple[str, str]]:
    with app.app_context():
        return [(c.to_status, c.cause_kind) for c in timeline(load(checkout_id))]


# --- starting a deposit ----------------------------------------------------------------------


def test_the_customer_confirms_and_gets_a_pending_page_with_the_deposit_page(
    app, sandbox, checkout_id
):
    client = app.test_client()
    page = f"/pay/{checkout_id}/transfer/pientegra"
    token = csrf_token(client, page)

    started = client.post(page, data={"csrf_token": token})

    assert started.status_code == 303
    pending = client.get(started.headers["Location"], headers={"Accept-Language": "en"})
    html = pending.get_data(as_text=True)
    (intent,) = sandbox.records("pientegra", "intents")
    assert intent["externalUserId"] == "cust-7"
    assert intent["externalUserLabel"] == f"Kitapçı ORDER-7 {checkout_id}"
    assert intent["requestedAmount"] == 150_000
    assert "Waiting for your bank transfer" in html
    assert intent["referenceNo"] in html
    deposit_url = re.search(r'id="deposit-open" href="([^"]+)"', html)[1]
    assert deposit_url.startswith(f"{sandbox.url}/pientegra/d/")
    # Nothing but our own script and our own origin: the deposit page opens in a new window.
    csp = pending.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "connect-src 'self';" in csp
    assert sandbox.url not in csp
    with app.app_context():
        (attempt,) = load(checkout_id).attempts
        assert attempt.provider_reference == intent["id"]
        assert attempt.provider_transaction_id == intent["referenceNo"]
        assert (attempt.requested_minor, attempt.status) == (150_000, "started")
        assert attempt.idempotency_key and attempt.request_hash and attempt.expires_at
        assert load(checkout_id).status == "pending"
    again = client.post(page, data={"csrf_token": token})  # a second click: the same deposit
    assert again.status_code == 303
    assert len(sandbox.records("pientegra", "intents")) == 1


def test_a_deposit_pientegra_committed_but_whose_answer_was_lost_is_not_made_twice(
    app, sandbox, checkout_id
):
    # Every try of the first request reaches Pientegra, which creates the deposit, and every
    # answer is lost: our customer is told to try again. That retry sends the same key and body.
    sandbox.fault("pientegra", DEPOSITS_ROUTE, after=True, drop=True, count=3)
    with app.app_context(), pytest.raises(deposits.DepositUnavailable):
        deposits.start_deposit(load(checkout_id), CUSTOMER_IP)
    with app.app_context():
        (attempt,) = load(checkout_id).attempts
        assert attempt.provider_reference is None and attempt.outcome_unknown
        key, body_hash = attempt.idempotency_key, attempt.request_hash

    intent_id = start(app, checkout_id)

    (intent,) = sandbox.records("pientegra", "intents")
    assert intent["id"] == intent_id
    with app.app_context():
        (attempt,) = load(checkout_id).attempts
        assert (attempt.idempotency_key, attempt.request_hash) == (key, body_hash)
        assert attempt.outcome_unknown is False


def test_a_409_we_cannot_read_leaves_the_deposit_to_be_resent_with_the_same_key(
    app, sandbox, checkout_id
):
    body = {"error": {"code": "conflict", "message": "Request conflicts with current state"}}
    sandbox.fault("pientegra", DEPOSITS_ROUTE, status=409, body=body, count=1)
    with app.app_context(), pytest.raises(deposits.DepositUnavailable):
        deposits.start_deposit(load(checkout_id), CUSTOMER_IP)
    with app.app_context():
        (attempt,) = load(checkout_id).attempts
        assert (attempt.status, attempt.outcome_unknown) == ("started", True)
        key = attempt.idempotency_key

    intent_id = start(app, checkout_id)

    (intent,) = sandbox.records("pientegra", "intents")
    assert intent["id"] == intent_id
    with app.app_context():
        (attempt,) = load(checkout_id).attempts
        assert attempt.idempotency_key == key


def test_a_deposit_pientegra_refuses_fails_the_attempt_and_the_page_says_so(app, merchant, sandbox):
    checkout_id = new_checkout(app, merchant, amount_minor=50)  # below Pientegra's 1.00 TRY
    client = app.test_client()
    page = f"/pay/{checkout_id}/transfer/pientegra"
    response = client.post(
        page, data={"csrf_token": csrf_token(client, page)}, headers={"Accept-Language": "en"}
    )

    assert response.status_code == 400
    assert "Bank transfer is not available for this payment" in response.get_data(as_text=True)
    assert sandbox.records("pientegra", "intents") == []
    with app.app_context():
        checkout = load(checkout_id)
        assert checkout.status == "open"
        assert [(a.status, a.error_code) for a in checkout.attempts] == [
            ("failed", "amount_out_of_range")
        ]


def test_a_checkout_without_the_method_sends_the_customer_back(app, merchant):
    checkout_id = new_checkout(app, merchant, methods=["card_hosted"])
    response = app.test_client().get(f"/pay/{checkout_id}/transfer/pientegra")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/pay/{checkout_id}"


# --- what the webhook decides ------------------------------------------------------------------


def test_an_approved_deposit_pays_the_checkout_and_the_pending_page_moves_on(
    app, site, sandbox, pientegra, checkout_id
):
    intent_id = start(app, checkout_id)
    status_url = f"{site.url}/pay/{checkout_id}/transfer/pientegra/status?attempt=1"
    assert sandbox.http.get(status_url, timeout=5).json()["done"] is False

    pientegra.operator("intents", intent_id, "approve")
    sandbox.wait_for_webhooks_idle()

    state = sandbox.http.get(status_url, timeout=5).json()
    assert state == {"status": "paid", "done": True, "next": f"/pay/{checkout_id}/result"}
    assert changes(app, checkout_id) == [("pending", "customer"), ("paid", "webhook")]
    with app.app_context():
        (attempt,) = load(checkout_id).attempts
        assert (attempt.status, attempt.credited_minor) == ("succeeded", 150_000)
        (event,) = db.session.execute(select(ProviderEvent)).scalars()
        assert (event.event_type, event.applied, event.outcome) == ("intent.approved", True, "paid")
    result = app.test_client().get(f"/pay/{checkout_id}/result", headers={"Accept-Language": "en"})
    assert "Payment received" in result.get_data(as_text=True)


def test_another_amount_approved_puts_the_checkout_in_review_and_tells_the_merchant(
    app, site, sandbox, pientegra, merchant, checkout_id
):
    intent_id = start(app, checkout_id)

    pientegra.operator("intents", intent_id, "approve", amount="120000")
    sandbox.wait_for_webhooks_idle()

    with app.app_context():
        checkout = load(checkout_id)
        assert checkout.status == "needs_review"
        assert checkout.attempts[0].credited_minor == 120_000
    (flag,) = flags(app)
    assert flag.kind == "amount_mismatch" and "credited 1200.00 TRY" in flag.detail
    api = app.test_client().get(
        f"/api/v1/checkouts/{checkout_id}", headers={"Authorization": f"Bearer {merchant['key']}"}
    )
    (payment,) = api.get_json()["payments"]
    assert (payment["amount"], payment["credited_amount"]) == ("1500.00", "1200.00")


def test_a_rejected_deposit_leaves_the_checkout_open_until_the_attempt_limit(
    app, site, sandbox, pientegra, merchant
):
    with app.app_context():
        db.session.get(factories.Merchant, merchant["id"]).attempt_limit = 2
        db.session.commit()
    checkout_id = new_checkout(app, merchant)
    for expected in ("open", "failed"):
        pientegra.operator("intents", start(app, checkout_id), "reject", reason="no transfer")
        sandbox.wait_for_webhooks_idle()
        with app.app_context():
            assert load(checkout_id).status == expected
            assert load(checkout_id).attempts[-1].error_code == "deposit_rejected"
    page = app.test_client().get(f"/pay/{checkout_id}/result", headers={"Accept-Language": "en"})
    assert "Payment failed" in page.get_data(as_text=True)


def test_an_auto_cancelled_deposit_expires_the_checkout_and_late_money_never_pays_it(
    app, site, sandbox, pientegra, checkout_id
):
    intent_id = start(app, checkout_id)
    sandbox.advance(31 * 60)  # Pientegra's clock, and so its signatures' t, now runs ahead
    app.config["PIENTEGRA_WEBHOOK_TOLERANCE_SECONDS"] = 3600
    assert pientegra.get(f"/external/intents/{intent_id}").json()["status"] == "AUTO_CANCELLED"
    sandbox.wait_for_webhooks_idle()
    with app.app_context():
        assert load(checkout_id).status == "expired"
        assert load(checkout_id).attempts[0].status == "abandoned"

    pientegra.operator("intents", intent_id, "late-arrival")
    pientegra.operator("intents", intent_id, "approve")
    sandbox.wait_for_webhooks_idle()

    with app.app_context():
        checkout = load(checkout_id)
        assert checkout.status == "expired"
        assert checkout.attempts[0].status == "succeeded"  # the money is on record...
    # The late money is a note on the timeline that changes no status, beside the staff flag.
    assert changes(app, checkout_id) == [
        ("pending", "customer"),
        ("expired", "webhook"),
        ("expired", "webhook"),
    ]
    with app.app_context():
        assert "too late to pay the checkout" in timeline(load(checkout_id))[-1].note
    (flag,) = flags(app)  # ...and staff decide: one flag, however many events said it
    assert flag.kind == "late_arrival" and f"({checkout_id}-1)" in flag.detail
