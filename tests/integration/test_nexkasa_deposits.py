"""NexKasa deposits against the live sandbox: every documented answer, and 409 handled right."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token
from tests.support.database import assert_not_locked
from tests.support.sandbox import NexKasaCaller, SandboxControl
from webapp.extensions import db
from webapp.models import Attempt, Checkout, ReviewFlag
from webapp.models.types import utcnow
from webapp.payments import nexkasa_deposits as deposits

DEPOSIT_ROUTE = "POST /api/public/deposit-request/"
CUSTOMER = "cust-7"
EN = {"Accept-Language": "en"}
TOKEN = "sandbox-nexkasa-callback-token"  # the app's default on the sandbox


def new_checkout(app, amount_minor: int = 150_000, **fields) -> str:
    with app.app_context():
        merchant, _ = factories.merchant()
        row = factories.checkout(
            merchant,
            amount_minor=amount_minor,
            methods=["nexkasa_transfer", "card_hosted"],
            customer_ref=CUSTOMER,
            customer_first_name="Ayşe",
            customer_last_name="Yılmaz",
            **fields,
        )
        db.session.commit()
        return row.public_id


@pytest.fixture
def checkout_id(app) -> str:
    return new_checkout(app)


def load(checkout_id: str) -> Checkout:
    return db.session.execute(
        select(Checkout).where(Checkout.public_id == checkout_id)
    ).scalar_one()


def page(checkout_id: str) -> str:
    return f"/pay/{checkout_id}/transfer/nexkasa"


def submit(client, checkout_id: str, full_name: str = "Ayşe Yılmaz"):
    token = csrf_token(client, page(checkout_id))
    return client.post(
        page(checkout_id), data={"csrf_token": token, "full_name": full_name}, headers=EN
    )


def start(app, checkout_id: str, full_name: str = "Ayşe Yılmaz") -> tuple[int, bool]:
    """The attempt's id and whether its outcome is unknown."""
    with app.app_context():
        attempt = deposits.start_deposit(load(checkout_id), full_name, "203.0.113.9")
        return attempt.id, attempt.outcome_unknown


def flags(app) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(select(ReviewFlag).order_by(ReviewFlag.id)).scalars()
        return [(row.entity_type, row.kind) for row in rows]


# --- 201 ---------------------------------------------------------------------------------------


def test_the_customer_confirms_the_sender_and_sees_the_bank_account(app, sandbox, checkout_id):
    client = app.test_client()
    form = client.get(page(checkout_id), headers=EN).get_data(as_text=True)
    assert 'value="Ayşe Yılmaz"' in form  # prefilled from first and last name

    response = submit(client, checkout_id, "Ayşe Nur Yılmaz")
    assert response.status_code == 303
    assert response.headers["Location"] == page(checkout_id)

    (sent,) = sandbox.records("nexkasa", "transactions")
    assert sent["amount"] == "1500.00"
    assert (sent["full_name"], sent["external_user_id"]) == ("Ayşe Nur Yılmaz", CUSTOMER)
    callback = urlsplit(sent["callback_url"])
    assert callback.path == f"/hooks/nexkasa/{checkout_id}-1"
    assert callback.query == f"token={TOKEN}"

    pending = client.get(page(checkout_id), headers=EN).get_data(as_text=True)
    assert "Send your bank transfer" in pending
    assert sent["bank_account"]["iban"] in pending
    assert sent["bank_account"]["banka_adi"] in pending
    assert "/static/js/transfer.js" in pending
    with app.app_context():
        checkout = load(checkout_id)
        (attempt,) = checkout.attempts
        assert checkout.status == "pending"
        assert attempt.provider_reference == sent["transaction_token"]
        assert attempt.provider_transaction_id is None  # learned from the first callback
        assert attempt.outcome_unknown is False
        assert attempt.bank_details["iban"] == sent["bank_account"]["iban"]

    status = client.get(f"{page(checkout_id)}/status").get_json()
    assert status == {"state": "pending", "next": page(checkout_id)}


def test_the_guides_answer_shape_keeps_the_transaction_id(app, sandbox, checkout_id):
    sandbox.settings("nexkasa", deposit_response="legacy")
    attempt_id, _ = start(app, checkout_id)
    (sent,) = sandbox.records("nexkasa", "transactions")
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.provider_transaction_id == str(sent["id"])
        assert attempt.provider_reference is None
    text = app.test_client().get(page(checkout_id), headers=EN).get_data(as_text=True)
    assert "did not give us the account" in text


def test_nothing_is_locked_while_nexkasa_answers(app, sandbox, checkout_id):
    with app.app_context():
        checkout_pk, url = load(checkout_id).id, db.engine.url
    sandbox.fault(route=DEPOSIT_ROUTE, latency_ms=3000, count=1)
    with ThreadPoolExecutor(max_workers=1) as pool:
        request = pool.submit(start, app, checkout_id)
        deadline = time.monotonic() + 10
        while sandbox.faults():  # the one-shot rule is used up once the call reached NexKasa
            assert not request.done(), request.result()
            assert time.monotonic() < deadline, "the deposit request never reached NexKasa"
            time.sleep(0.02)  # poll interval inside a deadline
        assert_not_locked(url, "checkouts", checkout_pk)
        assert request.result(timeout=30)[1] is False  # answered: the outcome is known


def test_a_second_click_sends_nothing_twice(app, sandbox, checkout_id):
    first = start(app, checkout_id)
    second = start(app, checkout_id)
    assert first == second
    assert len(sandbox.records("nexkasa", "transactions")) == 1


# --- refusals ----------------------------------------------------------------------------------


def test_400_names_the_field(app, checkout_id):
    with pytest.raises(deposits.DepositRefused) as refused:
        start(app, checkout_id, "A" * 300)  # NexKasa takes at most 255 characters
    assert (refused.value.reason, refused.value.field) == ("invalid_request", "full_name")
    with app.app_context():
        checkout = load(checkout_id)
        assert checkout.status == "open"
        assert [(a.status, a.error_code) for a in checkout.attempts] == [
            ("abandoned", "invalid_request")
        ]
        assert "full_name" in checkout.attempts[0].merchant_message


def test_403_is_flagged_to_staff_and_the_customer_chooses_another_method(
    make_sandboxed_app, sandbox
):
    app = make_sandboxed_app(NEXKASA_API_KEY="wrong-key")
    checkout_id = new_checkout(app)
    response = submit(app.test_client(), checkout_id)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "unavailable right now. Please choose another payment method." in text
    # The configuration problem is for staff, not the customer: NexKasa's own words stay out.
    # (A bare "API" would also match the random CSRF token now and then.)
    assert "Invalid API Key" not in text and "X-API-KEY" not in text
    assert flags(app) == [("attempt", "configuration")]
    with app.app_context():
        assert load(checkout_id).status == "open"


def test_404_asks_for_another_amount_or_method(app, sandbox):
    checkout_id = new_checkout(app, amount_minor=6_000_000)  # the sandbox's accounts take <= 50000
    response = submit(app.test_client(), checkout_id)
    assert response.status_code == 400
    assert "try another amount or another payment method" in response.get_data(as_text=True)
    assert sandbox.records("nexkasa", "transactions") == []
    with app.app_context():
        assert load(checkout_id).status == "open"


def test_409_on_a_first_request_means_another_transfer_is_pending(
    app, sandbox, nexkasa: NexKasaCaller, checkout_id
):
    assert nexkasa.deposit(user_id=CUSTOMER).status_code == 201  # e.g. from another checkout
    client = app.test_client()
    for _ in range(6):  # more than the attempt limit: refusals are not declines
        response = submit(client, checkout_id)
        assert response.status_code == 400
        assert "Another bank transfer of yours is still pending" in response.get_data(as_text=True)
    with app.app_context():
        checkout = load(checkout_id)
        assert checkout.status == "open"
        assert {a.error_code for a in checkout.attempts} == {"already_pending"}
    assert len(sandbox.records("nexkasa", "transactions")) == 1


def test_429_says_busy_and_nobody_hammers_nexkasa(app, sandbox, checkout_id):
    sandbox.fault(route=DEPOSIT_ROUTE, status=429, headers={"Retry-After": "30"}, count=3)
    client = app.test_client()
    for _ in range(2):
        response = submit(client, checkout_id)
        assert "NexKasa is busy. Please try again in a minute." in response.get_data(as_text=True)
    other = new_checkout(app, order_id="another-order")
    with pytest.raises(deposits.DepositRefused) as refused:
        start(app, other)
    assert refused.value.reason == "busy"
    (fault,) = sandbox.faults()
    assert fault["count"] == 2  # only the first request reached NexKasa
    with app.app_context():
        assert [a.status for a in load(checkout_id).attempts] == ["abandoned"]
        assert load(other).attempts == []


# --- outcome unknown ---------------------------------------------------------------------------


def age(app, attempt_id: int, seconds: int = 60) -> None:
    """As if the first request ended a while ago: a cautious retry is allowed only then."""
    with app.app_context():
        db.session.get(Attempt, attempt_id).updated_at = utcnow() - timedelta(seconds=seconds)
        db.session.commit()


def test_a_500_leaves_the_attempt_started_and_our_retry_meets_409(app, sandbox, checkout_id):
    sandbox.fault(route=DEPOSIT_ROUTE, status=500, after=True, count=1)
    attempt_id, unknown = start(app, checkout_id)
    assert unknown is True
    assert flags(app) == [("attempt", "nexkasa_outcome_unknown")]
    client = app.test_client()
    text = client.get(page(checkout_id), headers=EN).get_data(as_text=True)
    assert "Please do not send any money" in text
    assert client.get(f"{page(checkout_id)}/status").get_json()["state"] == "unknown"

    with app.app_context():  # too soon: the first request might still be running
        assert deposits.check_again(load(checkout_id)).outcome_unknown is True
    assert len(sandbox.records("nexkasa", "transactions")) == 1

    age(app, attempt_id)
    token = csrf_token(client, page(checkout_id))
    response = client.post(f"{page(checkout_id)}/check", data={"csrf_token": token})
    assert response.status_code == 303
    assert len(sandbox.records("nexkasa", "transactions")) == 1  # 409: the first one exists
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert (attempt.status, attempt.outcome_unknown) == ("started", False)
        assert "409" in attempt.merchant_message
        (flag,) = db.session.execute(select(ReviewFlag)).scalars()
        assert flag.resolved_at is not None
        assert load(checkout_id).status == "pending"


def test_a_409_on_retry_proves_nothing_while_another_deposit_of_the_customer_is_pending(
    app, sandbox, checkout_id
):
    other = new_checkout(app)  # the same customer, another order: its deposit is pending
    start(app, other)
    sandbox.fault(route=DEPOSIT_ROUTE, drop=True, count=1)  # ours never reached NexKasa
    attempt_id, unknown = start(app, checkout_id)
    assert unknown is True
    age(app, attempt_id)

    with app.app_context():
        checked = deposits.check_again(load(checkout_id))
        # NexKasa's 409 is about the other deposit: ours stays unknown, for staff to check.
        assert (checked.status, checked.outcome_unknown) == ("started", True)
    assert len(sandbox.records("nexkasa", "transactions")) == 1
    assert ("attempt", "nexkasa_outcome_unknown") in flags(app)


def test_a_dropped_request_that_never_arrived_is_sent_again_on_check(app, sandbox, checkout_id):
    sandbox.fault(route=DEPOSIT_ROUTE, drop=True, count=1)  # before NexKasa saw it
    attempt_id, unknown = start(app, checkout_id)
    assert unknown is True
    assert sandbox.records("nexkasa", "transactions") == []
    age(app, attempt_id)
    with app.app_context():
        checked = deposits.check_again(load(checkout_id))
        assert checked.id == attempt_id
        assert checked.outcome_unknown is False
        (sent,) = sandbox.records("nexkasa", "transactions")
        assert checked.provider_reference == sent["transaction_token"]
        assert sent["callback_url"].endswith(f"/hooks/nexkasa/{checkout_id}-1?token={TOKEN}")


def test_a_retry_while_nexkasa_still_throttles_keeps_the_outcome_unknown(
    app, sandbox: SandboxControl, checkout_id
):
    sandbox.fault(route=DEPOSIT_ROUTE, status=500, after=True, count=1)
    attempt_id, _ = start(app, checkout_id)
    age(app, attempt_id)
    sandbox.fault(route=DEPOSIT_ROUTE, status=429, count=1)
    with app.app_context(), pytest.raises(deposits.DepositRefused):
        deposits.check_again(load(checkout_id))
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert (attempt.status, attempt.outcome_unknown) == ("started", True)
