"""The payer's details on the checkout page: Paytrek's billing_state for US and Canadian payers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token
from webapp.extensions import db
from webapp.models import Checkout

PAYER = {
    "customer_first_name": "John",
    "customer_last_name": "Smith",
    "customer_email": "john@example.com",
    "billing_address": "1 Main St",
    "billing_city": "New York",
}


def new_checkout(app, **fields) -> str:
    with app.app_context():
        merchant, _ = factories.merchant()
        row = factories.checkout(
            merchant,
            methods=["card_hosted"],
            items=[{"name": "Book", "quantity": 1, "unit_price_minor": 150_000}],
            **{**PAYER, **fields},
        )
        db.session.commit()
        return row.public_id


def pay(app, checkout_id: str, **fields: str):
    client = app.test_client()
    path = f"/pay/{checkout_id}"
    data = {"csrf_token": csrf_token(client, path), "method": "card_hosted", **fields}
    return client.post(path, data=data, headers={"Accept-Language": "en"})


def state_of(app, checkout_id: str) -> str | None:
    with app.app_context():
        statement = select(Checkout.billing_state).where(Checkout.public_id == checkout_id)
        return db.session.execute(statement).scalar_one()


@pytest.mark.usefixtures("sandbox")
def test_a_us_payer_is_asked_for_the_state_paytrek_wants(app, sandbox):
    # "billing_state ... ABD ve CA için posta kısaltmaları kullanın" (paytrek-api.txt, Sale)
    checkout_id = new_checkout(app, billing_country="US")

    refused = pay(app, checkout_id)
    assert refused.status_code == 400
    assert "Enter the two-letter code, e.g. NY." in refused.get_data(as_text=True)
    assert sandbox.records("paytrek", "sales") == []

    answer = pay(app, checkout_id, state="ny")
    assert answer.status_code == 303
    [sale] = sandbox.records("paytrek", "sales")
    assert (sale["billing_country"], sale["billing_state"]) == ("US", "NY")
    assert state_of(app, checkout_id) == "NY"


@pytest.mark.usefixtures("sandbox")
def test_a_state_is_not_sent_for_other_countries(app, sandbox):
    checkout_id = new_checkout(app, billing_country="TR")

    assert pay(app, checkout_id, state="NY").status_code == 303

    [sale] = sandbox.records("paytrek", "sales")
    assert sale["billing_state"] is None
    assert state_of(app, checkout_id) is None


@pytest.mark.parametrize(
    ("language", "offered", "given"),
    [("tr", "Almanya", "Amerika Birleşik Devletleri"), ("en", "Germany", "United States")],
)
def test_countries_are_named_in_the_pages_language(app, language, offered, given):
    client = app.test_client()
    form = client.get(f"/pay/{new_checkout(app)}", headers={"Accept-Language": language})
    assert f">{offered}</option>" in form.get_data(as_text=True)

    shown = client.get(
        f"/pay/{new_checkout(app, billing_country='US')}", headers={"Accept-Language": language}
    )
    assert f"<dd>{given}</dd>" in shown.get_data(as_text=True)
