"""Sending payouts against the live Pientegra and NexKasa simulators: what each answer does.

Pientegra: the Idempotency-Key and body hash are committed before the first attempt, so a lost
answer is resent as the same request and nothing is created twice. NexKasa has neither a key nor
a lookup: 409/403/500/429/400 each become a clear, different outcome.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tests.support.sandbox import TEST_CONFIG, NexKasaCaller, PientegraCaller
from webapp.extensions import db
from webapp.models import Payout, ReviewFlag
from webapp.payments import payout_sending, payouts
from webapp.payments.status import Cause, timeline
from webapp.providers.pientegra import PientegraClient, pientegra_http
from webapp.urls import nexkasa_callback_url

WITHDRAWALS_ROUTE = "POST /api/v1/external/withdrawals"
NEXKASA_ROUTE = "POST /api/public/withdraw-request/"
IBAN = "TR320010009999901234567890"
CAUSE = Cause.merchant_api("mer_test")


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def merchant(ctx):
    row, _ = factories.merchant("Gönderen Mağaza")
    db.session.commit()
    return row


def spec(**overrides) -> payouts.PayoutSpec:
    return payouts.parse_payout_spec(
        {
            "amount": "2500.00",
            "currency": "TRY",
            "iban": "TR32 0010 0099 9990 1234 5678 90",
            "holder_name": "Ayşe Yılmaz",
            "customer_id": "cust-42",
            "reference": f"REF-{uuid.uuid4().hex[:8]}",
            **overrides,
        }
    )


def reload(payout: Payout) -> Payout:
    db.session.rollback()
    return db.session.execute(select(Payout).where(Payout.id == payout.id)).scalar_one()


def flags(payout: Payout) -> list[str]:
    rows = db.session.execute(
        select(ReviewFlag).where(
            ReviewFlag.entity_type == "payout", ReviewFlag.entity_id == payout.id
        )
    ).scalars()
    return [row.kind for row in rows]


def without_retries(app, sandbox) -> None:
    """The site's Pientegra client with the HTTP layer's own retries off: we see the lost answer."""
    url = sandbox.base_url("pientegra")
    http = pientegra_http(url, TEST_CONFIG["PIENTEGRA_API_KEY"], max_retries=0)
    app.extensions["provider_clients"] = {"pientegra": PientegraClient(url, "unused", http=http)}


# --- Pientegra -------------------------------------------------------------------------------


def test_the_key_and_body_hash_are_committed_before_the_first_attempt(ctx, merchant, sandbox):
    created = payouts.create_payout(merchant, spec())

    db.session.rollback()  # nothing pending: it is in the database
    stored = reload(created)
    assert uuid.UUID(stored.idempotency_key).version == 4
    assert stored.request_hash == payout_sending.body_hash(stored)
    assert stored.status == "requested" and sandbox.records("pientegra", "withdrawals") == []


def test_a_payout_is_accepted_and_its_references_kept(ctx, merchant, sandbox):
    payout = payouts.request_payout(merchant, spec(), CAUSE)

    payout = reload(payout)
    (sent,) = sandbox.records("pientegra", "withdrawals")
    assert payout.status == "pending" and payout.provider_reference == sent["id"]
    assert payout.reference_no == sent["referenceNo"] and payout.provider_status == "PENDING_REVIEW"
    assert sent["externalUserLabel"].startswith("Gönderen Mağaza REF-")
    assert [(e.from_status, e.to_status) for e in timeline(payout)] == [("requested", "pending")]


def test_a_committed_withdrawal_whose_answer_is_lost_is_retried_not_duplicated(
    ctx, merchant, sandbox
):
    sandbox.fault("pientegra", WITHDRAWALS_ROUTE, after=True, drop=True, count=1)

    payout = reload(payouts.request_payout(merchant, spec(), CAUSE))

    (sent,) = sandbox.records("pientegra", "withdrawals")
    assert payout.status == "pending" and payout.provider_reference == sent["id"]


def test_after_the_retries_give_up_the_payout_waits_and_is_resent_with_the_same_key(
    ctx, merchant, sandbox
):
    without_retries(ctx, sandbox)
    sandbox.fault("pientegra", WITHDRAWALS_ROUTE, after=True, drop=True, count=1)

    payout = reload(payouts.request_payout(merchant, spec(), CAUSE))
    assert (payout.status, payout.outcome_unknown) == ("requested", True)
    key = payout.idempotency_key

    payout_sending.retry_payout(payout, Cause.reconciliation("resend"))

    payout = reload(payout)
    (sent,) = sandbox.records("pientegra", "withdrawals")
    assert payout.idempotency_key == key
    assert payout.status == "pending" and not payout.outcome_unknown
    assert payout.provider_reference == sent["id"]


def test_reconciliation_resends_every_waiting_payout_once(ctx, merchant, sandbox):
    without_retries(ctx, sandbox)
    sandbox.fault("pientegra", WITHDRAWALS_ROUTE, after=True, drop=True, count=1)
    payout = payouts.request_payout(merchant, spec(), CAUSE)
    assert payout_sending.resend_requested(timedelta(0), Cause.reconciliation()) == (1, 1)
    assert payout_sending.resend_requested(timedelta(0), Cause.reconciliation()) == (0, 0)
    assert reload(payout).status == "pending"
    assert len(sandbox.records("pientegra", "withdrawals")) == 1


def test_a_key_reused_with_another_body_goes_to_staff_and_is_never_resent(ctx, merchant, sandbox):
    payout = payouts.create_payout(merchant, spec())
    other = PientegraCaller(sandbox).withdraw(idempotency_key=payout.idempotency_key, amount="100")
    assert other.status_code == 201

    payout_sending.send_payout(payout, CAUSE)

    payout = reload(payout)
    assert payout.status == "needs_review"
    assert payout.error_code == "idempotency_key_reuse_with_different_body"
    assert flags(payout) == ["idempotency_conflict"]
    with pytest.raises(payout_sending.NotRetryable):
        payout_sending.retry_payout(payout, CAUSE)


@pytest.mark.parametrize(
    "send",
    [
        lambda payout: payout_sending.send_payout(payout, CAUSE),
        lambda payout: payout_sending.retry_payout(payout, CAUSE),
        lambda payout: payout_sending.resend_requested(timedelta(0), Cause.reconciliation()),
    ],
    ids=["send_payout", "retry_payout", "resend_requested"],
)
def test_a_key_past_pientegras_24_hours_is_not_resent_but_goes_to_staff(
    ctx, merchant, sandbox, send
):
    payout = payouts.create_payout(merchant, spec())
    payout.created_at -= timedelta(hours=24)  # §2.2: Pientegra may have forgotten the key
    db.session.commit()

    send(payout)

    payout = reload(payout)
    assert (payout.status, payout.error_code) == ("needs_review", "idempotency_key_expired")
    assert flags(payout) == ["idempotency_key_expired"]
    assert sandbox.records("pientegra", "withdrawals") == []
    with pytest.raises(payout_sending.NotRetryable):
        payout_sending.retry_payout(payout, CAUSE)


@pytest.mark.parametrize(
    "error",
    [
        {"code": "duplicate_idempotency_key", "message": "in flight"},
        {"code": "conflict", "message": "Request conflicts with current state"},  # unreadable
    ],
    ids=["duplicate_idempotency_key", "a 409 we cannot read"],
)
def test_a_key_still_in_flight_leaves_the_payout_requested_for_a_resend(
    ctx, merchant, sandbox, error
):
    without_retries(ctx, sandbox)
    sandbox.fault("pientegra", WITHDRAWALS_ROUTE, status=409, body={"error": error}, count=1)

    payout = reload(payouts.request_payout(merchant, spec(), CAUSE))
    assert (payout.status, payout.error_code, payout.outcome_unknown) == (
        "requested",
        "in_flight",
        True,
    )
    payout_sending.resend_requested(timedelta(0), Cause.reconciliation())

    (sent,) = sandbox.records("pientegra", "withdrawals")
    assert reload(payout).provider_reference == sent["id"]


def test_a_changed_body_is_not_sent_under_the_old_key(ctx, merchant, sandbox):
    payout = payouts.create_payout(merchant, spec())
    payout.holder_name = "Someone Else"
    db.session.commit()

    payout_sending.send_payout(payout, CAUSE)

    assert reload(payout).status == "needs_review"
    assert sandbox.records("pientegra", "withdrawals") == []


# --- NexKasa ---------------------------------------------------------------------------------


def nexkasa_spec(**overrides) -> payouts.PayoutSpec:
    return spec(provider="nexkasa", **overrides)


def test_nexkasa_queues_the_withdrawal_with_our_callback_url(ctx, merchant, sandbox):
    payout = reload(payouts.request_payout(merchant, nexkasa_spec(), CAUSE))

    (sent,) = sandbox.records("nexkasa", "transactions")
    assert payout.status == "pending" and payout.provider_status == "WAITING_ASSIGNMENT"
    assert payout.provider_transaction_id == str(sent["id"])
    assert sent["callback_url"] == (
        f"http://127.0.0.1:5000/hooks/nexkasa/{payout.public_id}?token=sandbox-nexkasa-callback-token"
    )
    assert sent["amount"] in ("2500.00", 2500) or str(sent["amount"]) == "2500.00"


def test_nexkasa_409_means_it_holds_this_payout_and_its_callback_then_settles_it(
    ctx, merchant, sandbox
):
    payout = payouts.create_payout(merchant, nexkasa_spec())
    held = NexKasaCaller(sandbox).withdraw(
        external_id=payout.public_id, customer_iban=IBAN, amount="2500.00"
    )  # e.g. a send that raced this one

    payout_sending.send_payout(payout, CAUSE)

    payout = reload(payout)
    assert (payout.status, payout.error_code, payout.outcome_unknown) == ("pending", None, False)
    assert [(e.to_status, e.note) for e in timeline(payout)] == [
        ("pending", "409: NexKasa already holds a pending request with this external_id")
    ]
    approved = {
        "transaction_id": held.json()["transaction_id"],
        "status": "APPROVED",
        "external_id": payout.public_id,
        "amount": "2500.00",
        "type": "WITHDRAW",
    }
    callback = ctx.test_client().post(nexkasa_callback_url(payout.public_id), json=approved)
    assert (callback.status_code, callback.get_json()["status"]) == (200, "ok")
    payout = reload(payout)
    assert (payout.status, payout.provider_transaction_id) == (
        "sent",
        str(approved["transaction_id"]),
    )


def send_in(app, payout_id: int) -> str:
    with app.app_context():
        return payout_sending.send_payout(db.session.get(Payout, payout_id), CAUSE).status


def test_a_second_sender_sends_nothing_while_the_first_waits_for_nexkasa(ctx, merchant, sandbox):
    payout = reload(payouts.create_payout(merchant, nexkasa_spec()))
    payout_id = payout.id
    db.session.rollback()  # SQLite: an open transaction here would hold the first sender back
    sandbox.fault("nexkasa", NEXKASA_ROUTE, latency_ms=1500, count=1)
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(send_in, ctx, payout_id)
        deadline = time.monotonic() + 10
        while sandbox.faults():  # the slow rule is used up once the first request is at NexKasa
            assert not first.done(), first.result()
            assert time.monotonic() < deadline, "the first send never called NexKasa"
            time.sleep(0.02)  # poll interval inside a deadline

        second = payout_sending.send_payout(reload(payout), Cause.reconciliation())
        assert (second.status, second.sending_since is not None) == ("requested", True)
        with pytest.raises(payout_sending.NotRetryable):
            payout_sending.retry_payout(reload(payout), Cause.staff("ops@example.com"))
        assert sandbox.records("nexkasa", "transactions") == []  # only the first is on its way

        assert first.result(timeout=30) == "pending"
    payout = reload(payout)
    assert (payout.status, payout.sending_since) == ("pending", None)
    assert len(sandbox.records("nexkasa", "transactions")) == 1
    assert [e.note for e in timeline(payout)] == ["WAITING_ASSIGNMENT"]


def test_a_nexkasa_send_that_died_mid_call_goes_to_staff_not_to_nexkasa_again(
    ctx, merchant, sandbox
):
    # NexKasa has no idempotency key: if the dead sender's request was already decided, sending
    # it again would create a second withdrawal.
    payout = reload(payouts.create_payout(merchant, nexkasa_spec()))
    payout.sending_since = payout.created_at - payout_sending.SEND_LEASE
    db.session.commit()

    payout = payout_sending.send_payout(reload(payout), Cause.reconciliation())

    assert (payout.status, payout.outcome_unknown, payout.sending_since) == (
        "needs_review",
        True,
        None,
    )
    assert flags(payout) == ["outcome_unknown"]
    assert sandbox.records("nexkasa", "transactions") == []


def test_a_pientegra_send_that_died_mid_call_is_resent_with_its_key(ctx, merchant, sandbox):
    payout = reload(payouts.create_payout(merchant, spec()))
    payout.sending_since = payout.created_at - payout_sending.SEND_LEASE
    db.session.commit()

    payout = payout_sending.send_payout(reload(payout), Cause.reconciliation())

    assert (payout.status, payout.sending_since) == ("pending", None)
    assert len(sandbox.records("pientegra", "withdrawals")) == 1


def test_a_callback_that_settles_the_payout_during_our_call_is_not_overwritten(
    ctx, merchant, sandbox, monkeypatch
):
    payout = reload(payouts.create_payout(merchant, nexkasa_spec()))
    payout_id = payout.id
    db.session.rollback()
    client = payout_sending.clients.nexkasa()
    send = client.create_withdrawal

    def answered_after_the_callback(request):
        accepted = send(request)
        with ctx.app_context():  # NexKasa's operator was quicker than its answer to us
            row = payout_sending.lock(Payout, payout_id)
            row.provider_status = "APPROVED"
            payout_sending.transition(row, "sent", Cause.webhook("nexkasa:1:APPROVED"))
            db.session.commit()
        return accepted

    monkeypatch.setattr(client, "create_withdrawal", answered_after_the_callback)
    payout_sending.send_payout(db.session.get(Payout, payout_id), CAUSE)

    payout = reload(payout)
    assert (payout.status, payout.provider_status, payout.error_code) == ("sent", "APPROVED", None)
    assert [e.to_status for e in timeline(payout)] == ["sent"]


def test_nexkasa_403_is_a_configuration_problem_for_staff(make_sandboxed_app, sandbox):
    app = make_sandboxed_app(NEXKASA_API_KEY="wrong-key")
    with app.app_context():
        merchant, _ = factories.merchant()
        db.session.commit()
        payout = reload(payouts.request_payout(merchant, nexkasa_spec(), CAUSE))

        assert payout.status == "needs_review" and flags(payout) == ["configuration"]
        assert sandbox.records("nexkasa", "transactions") == []


def test_nexkasa_500_is_an_unknown_outcome_resolved_by_a_cautious_resend(ctx, merchant, sandbox):
    sandbox.fault("nexkasa", NEXKASA_ROUTE, status=500, after=True, count=1)

    payout = reload(payouts.request_payout(merchant, nexkasa_spec(), CAUSE))
    assert (payout.status, payout.outcome_unknown) == ("needs_review", True)
    assert flags(payout) == ["outcome_unknown"]
    with pytest.raises(payout_sending.NotRetryable):  # not blindly: staff checks the panel first
        payout_sending.retry_payout(payout, CAUSE)

    payout_sending.retry_payout(payout, Cause.staff("ops@example.com"), panel_checked=True)

    payout = reload(payout)
    assert payout.status == "pending" and not payout.outcome_unknown
    assert len(sandbox.records("nexkasa", "transactions")) == 1  # the 409 proved it exists
    assert [e.to_status for e in timeline(payout)] == ["needs_review", "pending"]


def test_nexkasa_timeout_is_an_unknown_outcome_too(make_sandboxed_app, sandbox):
    app = make_sandboxed_app()
    sandbox.fault("nexkasa", NEXKASA_ROUTE, timeout=True, timeout_seconds=3, after=True, count=1)
    with app.app_context():
        from webapp.providers.nexkasa import NexKasaClient, nexkasa_http

        url = sandbox.base_url("nexkasa")
        http = nexkasa_http(url, TEST_CONFIG["NEXKASA_API_KEY"], read_timeout=0.5)
        app.extensions["provider_clients"] = {"nexkasa": NexKasaClient(url, "unused", http=http)}
        merchant, _ = factories.merchant()
        db.session.commit()
        payout = reload(payouts.request_payout(merchant, nexkasa_spec(), CAUSE))

        assert (payout.status, payout.outcome_unknown) == ("needs_review", True)


def test_nexkasa_429_leaves_it_requested_as_busy_and_a_resend_sends_it(ctx, merchant, sandbox):
    sandbox.fault("nexkasa", NEXKASA_ROUTE, status=429, count=1)

    payout = reload(payouts.request_payout(merchant, nexkasa_spec(), CAUSE))
    assert (payout.status, payout.error_code, payout.outcome_unknown) == (
        "requested",
        "busy",
        False,
    )

    payout_sending.retry_payout(payout, Cause.staff("ops@example.com"))
    assert reload(payout).status == "pending"
    assert len(sandbox.records("nexkasa", "transactions")) == 1


def test_nexkasa_400_fails_with_the_fields_message(ctx, merchant, sandbox):
    body = {"customer_name": ["Bu alan boş olamaz."]}
    sandbox.fault("nexkasa", NEXKASA_ROUTE, status=400, body=body, count=1)

    payout = reload(payouts.request_payout(merchant, nexkasa_spec(), CAUSE))

    assert payout.status == "failed" and "customer_name" in payout.error_message
