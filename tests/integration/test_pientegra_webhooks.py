"""``POST /hooks/pientegra``: signatures, timestamps and replays, the inbox's once-only rule, and
events out of order, against our live site and the Pientegra sandbox that signs and sends them."""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests import factories
from tests.support.sandbox import TEST_CONFIG
from webapp.extensions import db
from webapp.models import Checkout, Payout, ProviderEvent, ReviewFlag, StatusChange
from webapp.payments import pientegra_deposits as deposits
from webapp.payments.status import timeline
from webapp.providers.pientegra import SIGNATURE_HEADER, signature_header

SECRET = TEST_CONFIG["PIENTEGRA_WEBHOOK_SECRET"]
HOOK = "/hooks/pientegra"


@pytest.fixture
def merchant_id(app: Flask) -> int:
    with app.app_context():
        row, _ = factories.merchant("Kitapçı")
        db.session.commit()
        return row.id


@pytest.fixture
def deposit(app: Flask, merchant_id: int) -> dict[str, Any]:
    """A checkout with a started Pientegra deposit: its public id, intent id and reference."""
    with app.app_context():
        merchant = db.session.get(factories.Merchant, merchant_id)
        checkout = factories.checkout(
            merchant, methods=["pientegra_transfer"], customer_ref="cust-7"
        )
        db.session.commit()
        attempt = deposits.start_deposit(checkout, "203.0.113.9")
        return {
            "checkout": checkout.public_id,
            "intent": attempt.provider_reference,
            "reference": attempt.provider_transaction_id,
        }


def now_ms() -> int:
    return int(time.time() * 1000)


def intent_event(deposit: dict[str, Any], status: str = "APPROVED", **intent: Any) -> bytes:
    body = {
        "eventId": str(uuid.uuid4()),
        "eventType": f"intent.{status.lower()}",
        "occurredAt": "2026-01-01T00:00:00.000Z",
        "intent": {
            "id": deposit["intent"],
            "referenceNo": deposit["reference"],
            "externalUserId": "cust-7",
            "requestedAmount": "150000",
            "amount": "150000",
            "currency": "TRY",
            "status": status,
            **intent,
        },
    }
    return json.dumps(body, separators=(",", ":")).encode()


def post(app: Flask, body: bytes, header: str | None = None, **sign: Any):
    """``header`` as given, else Pientegra's signature of ``body`` (``secret``, ``t``)."""
    if header is None:
        header = signature_header(
            body, sign.get("secret", SECRET), timestamp_ms=sign.get("t", now_ms())
        )
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: header} if header else {}
    return app.test_client().post(HOOK, data=body, headers=headers)


def checkout_status(app: Flask, public_id: str) -> str:
    with app.app_context():
        return db.session.execute(
            select(Checkout.status).where(Checkout.public_id == public_id)
        ).scalar_one()


def events(app: Flask) -> list[ProviderEvent]:
    with app.app_context():
        return list(db.session.execute(select(ProviderEvent).order_by(ProviderEvent.id)).scalars())


# --- signatures --------------------------------------------------------------------------------


def test_a_signed_event_is_stored_and_applied(app, deposit):
    body = intent_event(deposit)

    response = post(app, body)

    assert response.status_code == 200
    assert response.get_json()["status"] == "applied"
    assert checkout_status(app, deposit["checkout"]) == "paid"
    (stored,) = events(app)
    assert (stored.raw_body, stored.verified, stored.applied) == (body, True, True)
    assert stored.event_key == json.loads(body)["eventId"]


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(
            lambda body: signature_header(body, "whsec_guess", timestamp_ms=now_ms()),
            id="wrong-secret",
        ),
        pytest.param(
            lambda body: signature_header(body + b" ", SECRET, timestamp_ms=now_ms()),
            id="other-body",
        ),
        pytest.param(
            lambda body: signature_header(body, SECRET, timestamp_ms=now_ms()).replace("t=", "t=1"),
            id="other-timestamp",
        ),
        pytest.param(lambda body: f"t={now_ms()}", id="no-v1"),
        pytest.param(lambda body: "garbage", id="malformed"),
        pytest.param(lambda body: "", id="missing"),
    ],
)
def test_a_forgery_is_refused_and_changes_nothing(app, deposit, forge):
    body = intent_event(deposit)

    response = post(app, body, header=forge(body))

    assert response.status_code == 400
    assert checkout_status(app, deposit["checkout"]) == "pending"
    assert events(app) == []


@pytest.mark.parametrize("skew_minutes", [-6, 6])
def test_a_stale_timestamp_is_refused_by_default(app, deposit, skew_minutes):
    body = intent_event(deposit)

    response = post(app, body, t=now_ms() + skew_minutes * 60_000)

    assert response.status_code == 400
    assert response.get_json()["message"] == "stale"
    assert checkout_status(app, deposit["checkout"]) == "pending"
    assert events(app) == []


def test_the_tolerance_is_configurable(app, deposit):
    app.config["PIENTEGRA_WEBHOOK_TOLERANCE_SECONDS"] = 30
    assert post(app, intent_event(deposit), t=now_ms() - 60_000).status_code == 400
    app.config["PIENTEGRA_WEBHOOK_TOLERANCE_SECONDS"] = 120
    assert post(app, intent_event(deposit), t=now_ms() - 60_000).status_code == 200


def test_a_stale_event_is_accepted_as_a_replay_only_when_enabled_and_new(app, deposit):
    app.config["PIENTEGRA_ACCEPT_REPLAYS"] = True
    body, an_hour_ago = intent_event(deposit), now_ms() - 3_600_000

    first = post(app, body, t=an_hour_ago)
    again = post(app, body, t=an_hour_ago)

    assert (first.status_code, first.get_json()["status"]) == (200, "applied")
    assert (again.status_code, again.get_json()["status"]) == (200, "duplicate")
    assert checkout_status(app, deposit["checkout"]) == "paid"
    assert len(events(app)) == 1


def test_a_stale_repeat_of_an_event_we_stored_is_answered_2xx_and_changes_nothing(app, deposit):
    body = intent_event(deposit)
    assert post(app, body).status_code == 200
    an_hour_ago = now_ms() - 3_600_000

    forged = post(app, body, secret="whsec_guess", t=an_hour_ago)
    again = post(app, body, t=an_hour_ago)

    assert (forged.status_code, forged.get_json()["message"]) == (400, "mismatch")
    assert (again.status_code, again.get_json()["status"]) == (200, "duplicate")
    assert checkout_status(app, deposit["checkout"]) == "paid"
    assert len(events(app)) == 1


def test_the_previous_secret_still_verifies_during_a_rotation(app, deposit):
    app.config["PIENTEGRA_WEBHOOK_SECRET"] = "whsec_rotated_new_secret"
    app.config["PIENTEGRA_WEBHOOK_SECRET_PREVIOUS"] = SECRET
    assert post(app, intent_event(deposit), secret=SECRET).status_code == 200

    app.config["PIENTEGRA_WEBHOOK_SECRET_PREVIOUS"] = None  # rotation over: the old key is out
    assert post(app, intent_event(deposit), secret=SECRET).status_code == 400
    body, t = intent_event(deposit), now_ms()
    new = signature_header(body, "whsec_rotated_new_secret", timestamp_ms=t)
    header = f"t={t},v1={'0' * 64},{new.split(',')[1]}"  # any v1 that matches is enough
    assert post(app, body, header=header).status_code == 200
    assert checkout_status(app, deposit["checkout"]) == "paid"
    assert [e.outcome for e in events(app)] == ["paid", "repeat"]


# --- the inbox: once, and in whatever order ------------------------------------------------


def test_an_event_after_a_terminal_status_is_recorded_and_ignored(app, deposit):
    assert post(app, intent_event(deposit)).status_code == 200

    late = post(app, intent_event(deposit, "REJECTED"))

    assert (late.status_code, late.get_json()["status"]) == (200, "recorded")
    assert checkout_status(app, deposit["checkout"]) == "paid"
    approved, rejected = events(app)
    assert approved.applied and not rejected.applied
    assert rejected.outcome == "ignored: attempt already succeeded"


def test_an_event_for_no_deposit_of_ours_is_stored_and_answered(app, deposit):
    stranger = {**deposit, "intent": str(uuid.uuid4())}
    response = post(app, intent_event(stranger))
    assert response.status_code == 200
    (stored,) = events(app)
    assert not stored.applied and stored.outcome.startswith("no deposit with intent")


@pytest.mark.parametrize(
    "body",
    [b'{"eventType": "intent.approved"}', bytes(range(256))],  # any bytes: a NUL, bad UTF-8
    ids=["no-event-id", "every-byte"],
)
def test_an_authentic_body_we_cannot_read_is_kept(app, body):
    response = post(app, body)
    assert (response.status_code, response.get_json()["status"]) == (200, "unreadable")
    (stored,) = events(app)
    assert stored.raw_body == body and not stored.applied


def _withdrawal(event: dict, **withdrawal: Any) -> None:
    del event["intent"]
    event["eventType"], event["withdrawal"] = "withdrawal.sent", {"status": "SENT", **withdrawal}


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda e: e.update(eventId="evt-\ud800"), id="event-id-surrogate"),
        pytest.param(lambda e: e.update(eventId="evt-\x00"), id="event-id-nul"),
        pytest.param(lambda e: e.update(eventId="e" * 201), id="event-id-too-long"),
        pytest.param(lambda e: e.update(eventType="intent.\udfff"), id="event-type-surrogate"),
        pytest.param(lambda e: e["intent"].update(id="\ud800"), id="intent-id-surrogate"),
        pytest.param(lambda e: e["intent"].update(id="i-\x00"), id="intent-id-nul"),
        pytest.param(lambda e: e["intent"].update(status="APPROVED\ud800"), id="status-surrogate"),
        pytest.param(lambda e: _withdrawal(e, id="w-\udbff"), id="withdrawal-id-surrogate"),
        pytest.param(lambda e: _withdrawal(e, withdrawalId="w-\x00"), id="withdrawal-id-nul"),
    ],
)
def test_an_authentic_event_we_cannot_store_as_sent_is_kept_flagged_and_answered(
    app, deposit, change
):
    event = json.loads(intent_event(deposit))
    change(event)
    body = json.dumps(event).encode()  # "\ud800" and "\u0000" as JSON escapes, as sent

    responses = [post(app, body), post(app, body)]  # Pientegra would retry anything but 2xx

    assert [(r.status_code, r.get_json()["status"]) for r in responses] == [(200, "unreadable")] * 2
    (stored,) = events(app)
    assert stored.event_key.startswith("unreadable:") and not stored.applied
    assert stored.raw_body == body
    with app.app_context():
        (flagged,) = db.session.execute(select(ReviewFlag)).scalars()
        assert (flagged.entity_type, flagged.entity_id) == ("event", stored.id)
        assert flagged.kind == "pientegra_unreadable"
    assert checkout_status(app, deposit["checkout"]) == "pending"


def test_a_body_over_the_size_limit_is_answered_413_in_json_without_an_error_log(app, caplog):
    body = b'{"eventId": "' + b"x" * app.config["MAX_CONTENT_LENGTH"] + b'"}'

    response = post(app, body)

    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "413"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert events(app) == []


def test_a_duplicate_delivery_is_answered_and_applied_once(app, site, sandbox, pientegra, deposit):
    sandbox.webhook_fault("duplicate", provider="pientegra")

    pientegra.operator("intents", deposit["intent"], "approve")
    deliveries = sandbox.wait_for_webhooks_idle()

    assert [d["status"] for d in deliveries] == [200, 200]
    assert len(events(app)) == 1
    with app.app_context():
        checkout = db.session.execute(
            select(Checkout).where(Checkout.public_id == deposit["checkout"])
        ).scalar_one()
        assert [c.to_status for c in timeline(checkout)] == ["pending", "paid"]


def test_withdrawal_events_move_the_payout_even_out_of_order(
    app, site, sandbox, pientegra, merchant_id
):
    created = pientegra.withdraw().json()
    sandbox.wait_for_webhooks_idle()  # withdrawal.created: stored, nothing to do
    with app.app_context():
        merchant = db.session.get(factories.Merchant, merchant_id)
        payout = factories.payout(merchant, provider_reference=created["withdrawalId"])
        db.session.commit()
        payout_id = payout.id
    sandbox.webhook_fault("reorder", provider="pientegra")  # "sent" is held until "returned"

    for action in ("approve", "send", "return"):
        pientegra.operator("withdrawals", created["withdrawalId"], action)
    sandbox.wait_for_webhooks_idle()

    with app.app_context():
        assert db.session.get(Payout, payout_id).status == "returned"
        steps = db.session.execute(
            select(StatusChange.to_status).where(
                StatusChange.entity_type == "payout", StatusChange.entity_id == payout_id
            )
        ).scalars()
        assert list(steps) == ["sent", "returned"]
    outcomes = {e.event_type: (e.applied, e.outcome) for e in events(app)}
    assert outcomes["withdrawal.created"][0] is False
    assert outcomes["withdrawal.returned"] == (True, "payout returned")
    assert outcomes["withdrawal.sent"] == (False, "ignored: payout returned")


def test_a_replay_of_an_event_we_applied_is_delivered_not_retried(
    app, site, sandbox, pientegra, deposit
):
    sandbox.advance(600)  # Pientegra's t 10 min from our clock: stale once tolerance is back
    app.config["PIENTEGRA_WEBHOOK_TOLERANCE_SECONDS"] = 1200
    pientegra.operator("intents", deposit["intent"], "approve")
    sandbox.wait_for_webhooks_idle()
    (applied,) = pientegra.get("/external/events").json()["data"]
    app.config["PIENTEGRA_WEBHOOK_TOLERANCE_SECONDS"] = 300

    replay = pientegra.post(f"/external/events/{applied['eventId']}/replay", None)
    assert replay.status_code == 202
    deliveries = sandbox.wait_for_webhooks_idle()

    assert [d["status"] for d in deliveries] == [200, 200]
    (logged,) = pientegra.get("/external/events").json()["data"]
    assert logged["deliveryStatus"] == "DELIVERED"
    assert checkout_status(app, deposit["checkout"]) == "paid"
    assert len(events(app)) == 1


def test_a_replay_pientegra_resends_with_its_old_timestamp_is_applied_when_accepted(
    app, site, sandbox, pientegra, merchant_id
):
    sandbox.advance(3600)  # Pientegra's clock an hour ahead: its signatures look stale to us
    with app.app_context():
        merchant = db.session.get(factories.Merchant, merchant_id)
        checkout = factories.checkout(
            merchant, methods=["pientegra_transfer"], customer_ref="cust-7"
        )
        db.session.commit()
        public_id = checkout.public_id
        intent_id = deposits.start_deposit(checkout, "203.0.113.9").provider_reference
    pientegra.operator("intents", intent_id, "approve")
    refused = sandbox.wait_for_webhooks_idle()
    assert {d["status"] for d in refused} == {400}
    assert checkout_status(app, public_id) == "pending"
    (dead,) = pientegra.get("/external/events").json()["data"]
    assert dead["deliveryStatus"] == "DEAD"

    app.config["PIENTEGRA_ACCEPT_REPLAYS"] = True
    replay = pientegra.post(f"/external/events/{dead['eventId']}/replay", None)
    assert replay.status_code == 202
    sandbox.wait_for_webhooks_idle()

    assert checkout_status(app, public_id) == "paid"
    (stored,) = events(app)
    assert (stored.event_key, stored.applied) == (dead["eventId"], True)
