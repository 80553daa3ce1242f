"""NexKasa callbacks: verified (token, address, signature), matched, stored once, applied once.

End-to-end tests run the app as a live server that the sandbox's operator calls back; the
security checks post to the app directly, from the addresses they need.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import simplejson
from sqlalchemy import select

from tests import factories
from tests.integration.test_nexkasa_deposits import CUSTOMER, TOKEN, load, new_checkout
from tests.support.live_server import LiveServer
from tests.support.sandbox import TEST_CONFIG, SandboxControl
from webapp.extensions import db
from webapp.models import Attempt, Payout, ProviderEvent, ReviewFlag
from webapp.payments import nexkasa_callbacks, payout_sending, payouts
from webapp.payments import nexkasa_deposits as deposits
from webapp.payments.status import Cause, timeline
from webapp.urls import nexkasa_callback_url

SECRET = TEST_CONFIG["NEXKASA_WEBHOOK_SECRET"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def live(make_sandboxed_app, sandbox) -> Iterator[LiveServer]:
    """The app as a live server whose callback URLs point at itself, as in production."""
    app = make_sandboxed_app()
    with LiveServer(app) as server:
        app.config["PUBLIC_BASE_URL"] = server.url
        server.app = app
        yield server


def started_deposit(app, **checkout_fields) -> tuple[str, str]:
    """A checkout with a NexKasa deposit waiting; its id and the attempt's reference."""
    checkout_id = new_checkout(app, **checkout_fields)
    with app.app_context():
        attempt = deposits.start_deposit(load(checkout_id), "Ayşe Yılmaz", None)
        return checkout_id, attempt.provider_order_id


def signed(payload: dict, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    """NexKasa's signed callback: sorted keys, the amount a JSON number, HMAC of the body."""
    body = simplejson.dumps(payload, use_decimal=True, sort_keys=True).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {"X-NexKasa-Signature": signature}


def plain(payload: dict) -> tuple[bytes, dict[str, str]]:
    return json.dumps(payload).encode(), {}


def decision(transaction_id: int, status: str = "APPROVED", **fields) -> dict:
    return {
        "transaction_id": transaction_id,
        "status": status,
        "external_id": CUSTOMER,
        "amount": "1500.00",
        "type": "DEPOSIT",
        **fields,
    }


def post(client, reference: str, body_and_headers, token: str = TOKEN, **environ):
    body, headers = body_and_headers
    return client.post(
        f"/hooks/nexkasa/{reference}?token={token}",
        data=body,
        content_type="application/json",
        headers=headers,
        environ_base={"REMOTE_ADDR": "127.0.0.1", **environ},
    )


def events(app) -> list[tuple[str, bool]]:
    with app.app_context():
        rows = db.session.execute(select(ProviderEvent).order_by(ProviderEvent.id)).scalars()
        return [(row.event_key, row.applied) for row in rows]


def open_flags(app) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(ReviewFlag).where(ReviewFlag.resolved_at.is_(None)).order_by(ReviewFlag.id)
        ).scalars()
        return [(row.entity_type, row.kind) for row in rows]


# --- end to end: the sandbox operator decides --------------------------------------------------


def test_an_approved_deposit_is_paid_once_from_its_two_callbacks(live, sandbox: SandboxControl):
    checkout_id, reference = started_deposit(live.app)
    (tx,) = sandbox.records("nexkasa", "transactions")
    sandbox.approve("nexkasa", tx["id"])
    deliveries = sandbox.wait_for_webhooks_idle()

    assert [(d["status"], "X-NexKasa-Signature" in d["headers"]) for d in deliveries] == [
        (200, True),
        (200, False),
    ]
    assert events(live.app) == [(f"{tx['id']}:APPROVED", True)]
    with live.app.app_context():
        checkout = load(checkout_id)
        (attempt,) = checkout.attempts
        assert (checkout.status, attempt.status) == ("paid", "succeeded")
        assert attempt.provider_transaction_id == str(tx["id"])  # learned from the callback
        assert [(c.to_status, c.cause_kind, c.cause_ref) for c in timeline(checkout)][-1] == (
            "paid",
            "webhook",
            f"nexkasa:{tx['id']}:APPROVED",
        )
    assert reference == f"{checkout_id}-1"
    result = requests.get(f"{live.url}/pay/{checkout_id}/transfer/nexkasa/status", timeout=5).json()
    assert result == {"state": "decided", "next": f"/pay/{checkout_id}/result"}


def test_a_rejected_deposit_fails_the_attempt_and_reopens_the_checkout(live, sandbox):
    checkout_id, _ = started_deposit(live.app)
    (tx,) = sandbox.records("nexkasa", "transactions")
    sandbox.reject("nexkasa", tx["id"], reason="Dekont bulunamadı")
    assert [d["status"] for d in sandbox.wait_for_webhooks_idle()] == [200, 200]
    with live.app.app_context():
        checkout = load(checkout_id)
        (attempt,) = checkout.attempts
        assert (checkout.status, attempt.status, attempt.error_code) == (
            "open",
            "failed",
            "rejected",
        )
        assert attempt.merchant_message == "Dekont bulunamadı"


def test_a_withdrawal_goes_through_the_operator_queue_to_sent(live, sandbox, nexkasa):
    with live.app.app_context():
        merchant, _ = factories.merchant()
        payout = factories.payout(merchant, provider="nexkasa", status="pending")
        db.session.commit()
        public_id, url = payout.public_id, nexkasa_callback_url(payout.public_id)
    response = nexkasa.withdraw(amount="2500.00", external_id=public_id, callback_url=url)
    transaction_id = response.json()["transaction_id"]
    waiting = decision(
        transaction_id, "WAITING_ASSIGNMENT", external_id=public_id, amount="2500.00",
        type="WITHDRAW",
    )  # fmt: skip
    assert post(live.app.test_client(), public_id, plain(waiting)).status_code == 200
    sandbox.assign("nexkasa", transaction_id)
    sandbox.approve("nexkasa", transaction_id)
    assert [d["status"] for d in sandbox.wait_for_webhooks_idle()] == [200, 200]
    with live.app.app_context():
        payout = db.session.get(Payout, payout.id)
        assert (payout.status, payout.provider_status) == ("sent", "APPROVED")
        assert payout.provider_transaction_id == str(transaction_id)
    assert [key for key, _ in events(live.app)] == [
        f"{transaction_id}:WAITING_ASSIGNMENT",
        f"{transaction_id}:APPROVED",
    ]


def test_a_rejected_withdrawal_is_rejected_with_the_reason(live, sandbox, nexkasa):
    with live.app.app_context():
        merchant, _ = factories.merchant()
        payout = factories.payout(merchant, provider="nexkasa", status="pending")
        db.session.commit()
        public_id, url = payout.public_id, nexkasa_callback_url(payout.public_id)
    response = nexkasa.withdraw(amount="2500.00", external_id=public_id, callback_url=url)
    sandbox.reject("nexkasa", response.json()["transaction_id"], reason="IBAN hatalı")
    assert [d["status"] for d in sandbox.wait_for_webhooks_idle()] == [200, 200]
    with live.app.app_context():
        payout = db.session.get(Payout, payout.id)
        assert (payout.status, payout.error_message) == ("rejected", "IBAN hatalı")


def test_a_withdrawal_answered_without_its_id_learns_it_from_the_first_callback(live, sandbox):
    answer = {"status": "success", "message": "Talebiniz alındı, işleme hazırlanıyor"}
    route = "POST /api/public/withdraw-request/"
    sandbox.fault("nexkasa", route, status=201, body=answer, after=True, count=1)
    spec = {
        "amount": "2500.00",
        "currency": "TRY",
        "iban": "TR320010009999901234567890",
        "holder_name": "Ayşe Yılmaz",
        "customer_id": "cust-42",
        "reference": "REF-no-id",
        "provider": "nexkasa",
    }
    with live.app.app_context():
        merchant, _ = factories.merchant()
        db.session.commit()
        payout = payouts.request_payout(
            merchant, payouts.parse_payout_spec(spec), Cause.merchant_api(merchant.public_id)
        )
        assert (payout.status, payout.provider_transaction_id) == ("pending", None)
        payout_id = payout.id
    (tx,) = sandbox.records("nexkasa", "transactions")
    sandbox.assign("nexkasa", tx["id"])
    sandbox.approve("nexkasa", tx["id"])

    assert [d["delivered"] for d in sandbox.wait_for_webhooks_idle()] == [True, True]
    with live.app.app_context():
        payout = db.session.get(Payout, payout_id)
        assert payout.status == "sent"
        assert payout.provider_transaction_id == payout.provider_reference == str(tx["id"])
    assert events(live.app) == [(f"{tx['id']}:APPROVED", True)]


def test_a_decision_that_does_not_match_is_delivered_but_changes_nothing(live, sandbox, nexkasa):
    with live.app.app_context():
        merchant, _ = factories.merchant()
        payout = factories.payout(merchant, provider="nexkasa", status="pending")
        db.session.commit()
        public_id, url = payout.public_id, nexkasa_callback_url(payout.public_id)
    transaction_id = nexkasa.withdraw(
        amount="2400.00", external_id=public_id, callback_url=url
    ).json()["transaction_id"]
    sandbox.assign("nexkasa", transaction_id)
    sandbox.approve("nexkasa", transaction_id)
    deliveries = sandbox.wait_for_webhooks_idle()

    assert [(d["status"], d["delivered"]) for d in deliveries] == [(200, True), (200, True)]
    assert open_flags(live.app) == [("payout", "nexkasa_mismatch")]
    assert [applied for _, applied in events(live.app)] == [False, False]
    with live.app.app_context():
        payout = db.session.get(Payout, payout.id)
        assert (payout.status, payout.provider_transaction_id) == ("pending", None)


# --- who may call ------------------------------------------------------------------------------


def test_a_wrong_or_missing_token_is_refused_and_nothing_is_stored(app):
    _, reference = started_deposit(app)
    client = app.test_client()
    assert post(client, reference, plain(decision(1)), token="guess").status_code == 403
    response = client.post(f"/hooks/nexkasa/{reference}", json=decision(1))
    assert response.status_code == 403
    assert response.get_json()["status"] == "forbidden"
    assert events(app) == []


def test_deposits_and_payouts_give_one_callback_url_form(make_sandboxed_app, sandbox):
    token = "tok en+/=&"  # every character here must be escaped in a query string
    app = make_sandboxed_app(NEXKASA_CALLBACK_TOKEN=token)
    _, reference = started_deposit(app)
    with app.app_context():
        merchant, _ = factories.merchant()
        payout = factories.payout(merchant, provider="nexkasa")
        db.session.commit()
        payout_sending.send_payout(payout, Cause.merchant_api(merchant.public_id))
        public_id = payout.public_id

    deposit, withdrawal = sandbox.records("nexkasa", "transactions")
    assert deposit["callback_url"].replace(reference, "<ref>") == withdrawal[
        "callback_url"
    ].replace(public_id, "<ref>")
    assert parse_qs(urlsplit(withdrawal["callback_url"]).query) == {"token": [token]}


def test_only_the_allowed_addresses_may_call(make_sandboxed_app, sandbox):
    app = make_sandboxed_app(NEXKASA_CALLBACK_IPS="203.0.113.0/24")
    _, reference = started_deposit(app)
    client = app.test_client()
    assert post(client, reference, plain(decision(7))).status_code == 403  # from 127.0.0.1
    assert events(app) == []
    response = post(client, reference, plain(decision(7)), REMOTE_ADDR="203.0.113.20")
    assert response.status_code == 200


def test_a_spoofed_forwarded_for_is_ignored_without_trusted_proxies(make_sandboxed_app, sandbox):
    app = make_sandboxed_app(NEXKASA_CALLBACK_IPS="203.0.113.0/24", TRUSTED_PROXY_HOPS="0")
    _, reference = started_deposit(app)
    spoofed = {"X-Forwarded-For": "203.0.113.20"}
    body, headers = plain(decision(7))
    response = post(app.test_client(), reference, (body, {**headers, **spoofed}))
    assert response.status_code == 403
    assert events(app) == []


def test_behind_one_trusted_proxy_the_forwarded_address_counts(make_sandboxed_app, sandbox):
    app = make_sandboxed_app(NEXKASA_CALLBACK_IPS="203.0.113.0/24", TRUSTED_PROXY_HOPS="1")
    _, reference = started_deposit(app)
    client = app.test_client()
    forged = {"X-Forwarded-For": "203.0.113.20, 198.51.100.7"}  # the proxy saw 198.51.100.7
    body, _ = plain(decision(7))
    assert post(client, reference, (body, forged), REMOTE_ADDR="10.0.0.2").status_code == 403
    proxied = {"X-Forwarded-For": "203.0.113.20"}
    assert post(client, reference, (body, proxied), REMOTE_ADDR="10.0.0.2").status_code == 200


def test_a_bad_signature_is_refused(app):
    _, reference = started_deposit(app)
    client = app.test_client()
    payload = decision(9, amount=Decimal("1500.0"), message="Success", processed_at=None)
    assert post(client, reference, signed(payload, secret="not-ours")).status_code == 403
    body, headers = signed(payload)
    tampered = body.replace(b"1500.0", b"1.0")
    assert post(client, reference, (tampered, headers)).status_code == 403
    assert events(app) == []
    assert post(client, reference, (body, headers)).status_code == 200


# --- what it says ------------------------------------------------------------------------------


def test_the_two_callbacks_of_one_decision_apply_once(app):
    checkout_id, reference = started_deposit(app)
    client = app.test_client()
    first = post(
        client,
        reference,
        signed(decision(42, amount=Decimal("1500.0"), message="Success", processed_at="x")),
    )
    second = post(client, reference, plain(decision(42)))
    assert (first.status_code, first.get_json()["status"]) == (200, "ok")
    assert (second.status_code, second.get_json()["status"]) == (200, "duplicate")
    assert events(app) == [("42:APPROVED", True)]
    with app.app_context():
        assert [c.to_status for c in timeline(load(checkout_id))].count("paid") == 1


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"amount": "15.00"}, "amount 15.00, expected 1500.00"),
        ({"type": "WITHDRAW"}, "type WITHDRAW, expected DEPOSIT"),
        ({"external_id": "someone-else"}, "external_id"),
    ],
)
def test_a_callback_that_does_not_match_is_answered_200_but_only_kept_for_staff(
    app, change, problem
):
    checkout_id, reference = started_deposit(app)
    client = app.test_client()
    response = post(client, reference, plain(decision(42, **change)))
    assert (response.status_code, response.get_json()["status"]) == (200, "mismatch")
    assert problem in response.get_json()["message"]
    again = post(client, reference, plain(decision(42, **change)))  # the same delivery again
    assert (again.status_code, again.get_json()["status"]) == (200, "mismatch")
    ((key, applied),) = events(app)
    assert key.startswith("42:APPROVED:refused:") and applied is False
    assert open_flags(app) == [("attempt", "nexkasa_mismatch")]
    with app.app_context():
        checkout = load(checkout_id)
        (attempt,) = checkout.attempts
        assert (checkout.status, attempt.status) == ("pending", "started")
        assert attempt.provider_transaction_id is None  # nothing learned from it
        (stored,) = db.session.execute(select(ProviderEvent)).scalars()
        assert json.loads(stored.raw_body) == decision(42, **change)
    # The refused one never shadows the genuine callback of the same decision.
    assert post(client, reference, plain(decision(42))).get_json()["status"] == "ok"
    with app.app_context():
        assert load(checkout_id).status == "paid"


def test_a_second_transaction_for_a_learned_deposit_is_refused(app):
    checkout_id, reference = started_deposit(app)
    client = app.test_client()
    assert post(client, reference, plain(decision(42, "REJECTED"))).status_code == 200
    response = post(client, reference, plain(decision(43)))
    assert (response.status_code, response.get_json()["status"]) == (200, "mismatch")
    assert "transaction 43, expected 42" in response.get_json()["message"]
    assert open_flags(app) == [("attempt", "nexkasa_mismatch")]
    with app.app_context():
        (attempt,) = load(checkout_id).attempts
        assert (attempt.status, attempt.provider_transaction_id) == ("failed", "42")


def test_an_unknown_reference_or_an_unreadable_body_is_answered_200_kept_and_flagged(app):
    client = app.test_client()
    for _ in range(2):  # a duplicate is answered the same and changes nothing
        unknown = post(client, "co_nothing-1", plain(decision(5)))
        unreadable = post(client, "co_nothing-1", (b"{not json", {}))
        assert (unknown.status_code, unknown.get_json()["status"]) == (200, "unknown_reference")
        assert (unreadable.status_code, unreadable.get_json()["status"]) == (200, "malformed")
    unknown_key, unreadable_key = (key for key, _ in events(app))
    assert unknown_key.startswith("5:APPROVED:refused:")  # never the real one's "5:APPROVED"
    assert unreadable_key.startswith("malformed:refused:")
    assert [applied for _, applied in events(app)] == [False, False]
    assert open_flags(app) == [("event", "nexkasa_unmatched"), ("event", "nexkasa_unmatched")]
    # The same body sent to another unknown reference is another delivery: kept too.
    assert post(client, "co_other-1", plain(decision(5))).status_code == 200
    assert len(events(app)) == 3


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"status": []}, id="status-list"),
        pytest.param({"status": {"APPROVED": 1}}, id="status-object"),
        pytest.param({"type": ["DEPOSIT"]}, id="type-list"),
        pytest.param({"type": {}}, id="type-object"),
        pytest.param({"external_id": CUSTOMER + "\x00"}, id="external-id-nul"),
        pytest.param({"external_id": CUSTOMER + "\ud800"}, id="external-id-surrogate"),
        pytest.param({"status": "APPROVED\x00"}, id="status-nul"),
        pytest.param({"type": "DEPOSIT\udfff"}, id="type-surrogate"),
        pytest.param({"message": "Success\x00"}, id="message-nul"),
    ],
)
def test_an_authentic_callback_we_cannot_read_or_store_as_sent_is_kept_and_answered_200(
    app, change
):
    checkout_id, reference = started_deposit(app)
    body = json.dumps(decision(42, **change)).encode()  # NUL and surrogates as JSON escapes

    response = post(app.test_client(), reference, (body, {}))

    assert (response.status_code, response.get_json()["status"]) == (200, "malformed")
    ((key, applied),) = events(app)
    assert key.startswith("malformed:refused:") and applied is False
    assert open_flags(app) == [("event", "nexkasa_unmatched")]
    with app.app_context():
        assert db.session.execute(select(ProviderEvent.raw_body)).scalar_one() == body
        checkout = load(checkout_id)
        (attempt,) = checkout.attempts
        assert (checkout.status, attempt.status) == ("pending", "started")


def test_a_callback_that_fails_to_apply_is_answered_200_and_kept_for_staff(app, monkeypatch):
    checkout_id, reference = started_deposit(app)
    client = app.test_client()

    def broken(*args, **kwargs):
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr(nexkasa_callbacks, "settle", broken)
    response = post(client, reference, plain(decision(42)))
    again = post(client, reference, plain(decision(42)))

    assert [(r.status_code, r.get_json()["status"]) for r in (response, again)] == [
        (200, "stored"),
        (200, "stored"),
    ]
    ((key, applied),) = events(app)
    assert key.startswith("42:APPROVED:refused:") and applied is False
    assert open_flags(app) == [("event", "nexkasa_unmatched")]
    with app.app_context():
        checkout = load(checkout_id)
        (attempt,) = checkout.attempts
        assert (checkout.status, attempt.status) == ("pending", "started")
        assert attempt.provider_transaction_id is None


def test_a_contradicting_decision_is_kept_and_flagged(app):
    _, reference = started_deposit(app)
    client = app.test_client()
    assert post(client, reference, plain(decision(42))).status_code == 200
    response = post(client, reference, plain(decision(42, "REJECTED")))
    assert response.status_code == 200
    assert events(app)[-1] == ("42:REJECTED", False)
    assert open_flags(app) == [("attempt", "nexkasa_conflict")]
    with app.app_context():
        assert db.session.execute(select(Attempt.status)).scalar_one() == "succeeded"


# --- the token never reaches a log -------------------------------------------------------------


def test_the_callback_token_is_never_logged(live, sandbox: SandboxControl, caplog):
    caplog.set_level(logging.DEBUG)
    # An id with no run of digits: a random one may hold a Luhn-valid run, which the log
    # redaction masks as a card number (rightly: it cannot tell), and the check below would miss it.
    _, reference = started_deposit(live.app, public_id="co_nexkasa_log_check")
    (tx,) = sandbox.records("nexkasa", "transactions")
    wrong = "wrong-token-do-not-log-me"
    requests.post(
        f"{live.url}/hooks/nexkasa/{reference}?token={wrong}", json=decision(1), timeout=5
    )
    sandbox.approve("nexkasa", tx["id"])
    assert [d["status"] for d in sandbox.wait_for_webhooks_idle()] == [200, 200]

    records = [record.getMessage() for record in caplog.records]
    assert any(f"/hooks/nexkasa/{reference}" in message for message in records)  # logged...
    for secret in (TOKEN, wrong):  # ...without the token
        assert not any(secret in message for message in records)
        assert secret not in caplog.text


def test_gunicorns_access_log_leaves_the_query_string_out():
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    settings: dict = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), settings)  # noqa: S102 (our own config file)
    config = Config()
    config.set("access_log_format", settings["access_log_format"])

    class Response:
        status, sent, headers = "200 OK", 2, ()

    class Request:
        headers = ()

    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": f"/hooks/nexkasa/co_x-1?token={TOKEN}",
        "PATH_INFO": "/hooks/nexkasa/co_x-1",
        "QUERY_STRING": f"token={TOKEN}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.20",
    }
    atoms = Logger(config).atoms(Response(), Request(), environ, timedelta(milliseconds=3))
    line = settings["access_log_format"] % atoms
    assert "/hooks/nexkasa/co_x-1" in line
    assert TOKEN not in line and "token" not in line
