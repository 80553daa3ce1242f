"""Card sales while Paytrek is slow: the checkout's lock and the database are free during every
call (starting a sale, the return page), a second click waits for the first click's sale instead
of making another, and a sale request never answered is given up rather than waited for."""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token
from tests.support.database import assert_not_locked
from webapp.extensions import db
from webapp.models import Attempt, Checkout
from webapp.models.types import utcnow
from webapp.payments import card
from webapp.payments.attempts import new_attempt
from webapp.payments.methods import Method
from webapp.payments.status import Cause

SALE_ROUTE = "POST /api/v2/sale/"
SLOW_MS = 3000  # long enough to look at the database while the first request waits
CUSTOMER = factories.CARD_CUSTOMER


@pytest.fixture
def checkout_id(app) -> str:
    with app.app_context():
        merchant, _ = factories.merchant()
        row = factories.checkout(
            merchant,
            methods=["card_hosted"],
            items=[{"name": "Kitap", "quantity": 1, "unit_price_minor": 150_000}],
            **factories.PAYER_COLUMNS,
        )
        db.session.commit()
        return row.public_id


@pytest.fixture
def threads():
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield pool


def load(checkout_id: str) -> Checkout:
    db.session.expire_all()
    return db.session.execute(
        select(Checkout).where(Checkout.public_id == checkout_id)
    ).scalar_one()


def start_in(app, checkout_id: str) -> str:
    with app.app_context():
        return card.start_hosted(load(checkout_id), CUSTOMER, "https://site.example/return")


def first_attempt_claimed(app, checkout_id: str, first: Future) -> Attempt:
    """The first request's attempt, once it is committed (the request is then calling Paytrek)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with app.app_context():
            attempts = load(checkout_id).attempts
            if attempts:
                db.session.expunge_all()
                return attempts[0]
        assert not first.done(), first.result()
        time.sleep(0.02)  # poll interval inside a deadline
    pytest.fail("the first request never committed its attempt")


def paytrek_is_answering(sandbox, request: Future) -> None:
    """The slow call has reached the sandbox: its one-shot latency rule is used up."""
    deadline = time.monotonic() + 10
    while sandbox.faults():
        assert not request.done(), request.result()
        assert time.monotonic() < deadline, "the request never called Paytrek"
        time.sleep(0.02)  # poll interval inside a deadline


def assert_checkout_not_locked(app, checkout_pk: int) -> None:
    with app.app_context():
        assert_not_locked(db.engine.url, "checkouts", checkout_pk)


def test_nothing_is_locked_while_paytrek_answers(app, sandbox, checkout_id, threads):
    sandbox.fault("paytrek", SALE_ROUTE, latency_ms=SLOW_MS, count=1)
    first = threads.submit(start_in, app, checkout_id)

    attempt = first_attempt_claimed(app, checkout_id, first)
    assert (attempt.status, attempt.provider_reference) == ("started", None)
    assert_checkout_not_locked(app, attempt.checkout_id)

    target = first.result(timeout=30)
    with app.app_context():
        (attempt,) = load(checkout_id).attempts
        assert attempt.redirect_url == target
        assert target.endswith(f"?token={attempt.provider_reference}")
        assert load(checkout_id).status == "pending"


def test_a_second_click_waits_for_the_first_sale_instead_of_making_another(
    app, sandbox, checkout_id, threads
):
    sandbox.fault("paytrek", SALE_ROUTE, latency_ms=SLOW_MS, count=1)
    first = threads.submit(start_in, app, checkout_id)
    first_attempt_claimed(app, checkout_id, first)

    second = start_in(app, checkout_id)  # while the first is still waiting for Paytrek

    assert second == first.result(timeout=30)
    assert len(sandbox.records("paytrek", "sales")) == 1
    with app.app_context():
        assert len(load(checkout_id).attempts) == 1


def test_a_second_click_that_waits_too_long_is_asked_to_try_again(
    app, sandbox, checkout_id, threads, monkeypatch
):
    monkeypatch.setattr(card, "START_WAIT_SECONDS", 0.2)
    sandbox.fault("paytrek", SALE_ROUTE, latency_ms=SLOW_MS, count=1)
    first = threads.submit(start_in, app, checkout_id)
    first_attempt_claimed(app, checkout_id, first)
    client = app.test_client()
    token = csrf_token(client, f"/pay/{checkout_id}")

    page = client.post(
        f"/pay/{checkout_id}",
        data={"csrf_token": token, "method": "card_hosted"},
        headers={"Accept-Language": "en"},
    )

    assert page.status_code == 400
    assert "Your payment is still being prepared" in page.get_data(as_text=True)
    first.result(timeout=30)
    again = client.post(f"/pay/{checkout_id}", data={"csrf_token": token, "method": "card_hosted"})
    assert again.status_code == 303  # the first click's sale, now that it has one
    assert len(sandbox.records("paytrek", "sales")) == 1


def unanswered_attempt(checkout_id: str) -> Attempt:
    """What a worker that died during Paytrek's call leaves behind: a started attempt, no token."""
    checkout = load(checkout_id)
    attempt = new_attempt(checkout, Method.CARD_HOSTED, CUSTOMER.ip_address)
    attempt.created_at = utcnow() - timedelta(minutes=2)
    db.session.commit()
    return attempt


def test_a_sale_request_never_answered_is_given_up_by_the_next_click(app, sandbox, checkout_id):
    with app.app_context():
        unanswered_attempt(checkout_id)
        target = card.start_hosted(load(checkout_id), CUSTOMER, "https://site.example/return")
        checkout = load(checkout_id)
        assert [(a.status, a.error_code) for a in checkout.attempts] == [
            ("failed", "provider_unavailable"),
            ("started", None),
        ]
        assert checkout.attempts[1].redirect_url == target
        assert checkout.status == "pending"
    assert len(sandbox.records("paytrek", "sales")) == 1


def test_reconcile_gives_up_a_sale_request_never_answered(app, runner, checkout_id):
    with app.app_context():
        unanswered_attempt(checkout_id)
    first = runner.invoke(args=["reconcile", "--older-than-minutes", "1"])
    assert "settled 1" in first.output
    second = runner.invoke(args=["reconcile", "--older-than-minutes", "1"])
    assert "asked 0, settled 0" in second.output
    with app.app_context():
        checkout = load(checkout_id)
        assert [(a.status, a.error_code) for a in checkout.attempts] == [
            ("failed", "provider_unavailable")
        ]
        assert checkout.status == "open"  # the customer may pay again


def test_a_sale_that_answers_after_it_was_given_up_is_not_offered(
    app, sandbox, checkout_id, threads
):
    sandbox.fault("paytrek", SALE_ROUTE, latency_ms=SLOW_MS, count=1)
    first = threads.submit(start_in, app, checkout_id)
    claimed = first_attempt_claimed(app, checkout_id, first)
    with app.app_context():  # reconcile (or a later click) gave up on it meanwhile
        card.give_up_unanswered(db.session.get(Attempt, claimed.id), Cause.reconciliation())
        db.session.commit()

    with pytest.raises(card.CardStartFailed):
        first.result(timeout=30)

    with app.app_context():
        (attempt,) = load(checkout_id).attempts
        (sale,) = sandbox.records("paytrek", "sales")
        assert (attempt.status, attempt.redirect_url) == ("failed", None)
        assert attempt.provider_reference == sale["sale_token"]  # kept, for staff and reconcile


def test_nothing_is_locked_while_the_return_page_asks_paytrek(app, sandbox, checkout_id, threads):
    target = start_in(app, checkout_id)
    token = target.rsplit("token=", 1)[1]
    sandbox.fault("paytrek", "GET /api/v2/sale/<sale_token>/", latency_ms=SLOW_MS, count=1)
    back = threads.submit(app.test_client().get, f"/pay/{checkout_id}/return?token={token}")
    with app.app_context():
        checkout_pk = load(checkout_id).id
    paytrek_is_answering(sandbox, back)

    assert_checkout_not_locked(app, checkout_pk)

    assert back.result(timeout=30).status_code == 303
