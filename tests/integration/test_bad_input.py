"""Bad input found by fuzzing: each gets a clear error in its caller's format, never a 500, and
nothing already recorded changes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import csrf_token
from webapp.extensions import db
from webapp.models import Attempt, Checkout
from webapp.payments import links

API = "/api/v1/checkouts"


def checkout_body(**overrides):
    return {"amount": "1.00", "currency": "TRY", "order_id": "fuzz-1", **overrides}


@pytest.fixture
def api_key(app) -> str:
    with app.app_context():
        _, key = factories.merchant()
        db.session.commit()
        return key


def post(client, key, body=None, data=None, **headers):
    headers = {"Authorization": f"Bearer {key}", **headers}
    if data is not None:
        return client.post(API, data=data, headers={**headers, "Content-Type": "application/json"})
    return client.post(API, json=body, headers=headers)


@pytest.mark.parametrize(
    "path", ["/pay/%00", "/pay/%00/result", "/payout/%00", "/console/login%00"]
)
def test_a_nul_in_the_path_is_no_such_page(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "text/html" in response.content_type


def test_a_nul_in_the_query_or_a_form_is_a_bad_request(app, client):
    with app.app_context():
        merchant, _ = factories.merchant()
        checkout = factories.checkout(merchant, methods=["card_hosted"])
        db.session.commit()
        checkout_id = checkout.public_id
    assert client.get(f"/pay/{checkout_id}/return?token=%00").status_code == 400
    token = csrf_token(client, f"/pay/{checkout_id}")
    answer = client.post(f"/pay/{checkout_id}", data={"csrf_token": token, "first_name": "a\x00b"})
    assert answer.status_code == 400
    with app.app_context():
        assert db.session.get(Checkout, checkout.id).customer_first_name is None


@pytest.mark.parametrize(
    "data",
    [
        "[" * 990 + "]" * 990,  # deeper than the parser goes
        '{"amount":"1.00","currency":"TRY","order_id":"\\ud800"}',  # an unpaired surrogate
        '{"amount":"1.00","currency":"TRY","order_id":"a","description":"\\u0000"}',  # a NUL
    ],
)
@pytest.mark.parametrize("idempotency_key", [None, "k-1"])
def test_json_bodies_we_cannot_store_are_400(app, client, api_key, data, idempotency_key):
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    response = post(client, api_key, data=data, **headers)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "invalid_json"
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Checkout)).scalar_one() == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"success_url": "https://[::1/x"}, "success_url"),
        ({"cancel_url": "http://[x"}, "cancel_url"),
        (
            {"items": [{"name": "a", "quantity": 1, "unit_price": "1.00", "photo": "https://[x"}]},
            "items.0.photo",
        ),
        (
            {"items": [{"name": "a", "quantity": 100000, "unit_price": "9999999999999.99"}]},
            "items",
        ),
    ],
)
def test_urls_and_totals_beyond_reason_are_422(client, api_key, overrides, field):
    response = post(client, api_key, checkout_body(**overrides))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["error"]["field"] == field


@pytest.mark.parametrize("expires", ["\u00b2", "99999999999999", "253402300800"])
def test_a_signed_link_with_an_impossible_expiry_is_refused(app, client, expires):
    with app.app_context():
        merchant, _ = factories.merchant()
        db.session.commit()
        params = {
            "merchant": merchant.public_id,
            "order_id": "L-1",
            "amount": "250.00",
            "currency": "TRY",
            "expires": expires,
        }
        url = "/pay/link?" + links.signed_query(params, merchant.link_secret, links.CHECKOUT)
    response = client.get(url)
    assert response.status_code == 400
    assert "text/html" in response.content_type


def test_junk_card_tokens_never_fail_a_checkout_for_good(app, client, sandbox):
    with app.app_context():
        merchant, _ = factories.merchant()
        checkout = factories.checkout(merchant, methods=["card_3ds"], **factories.PAYER_COLUMNS)
        db.session.commit()
        checkout_id, limit = checkout.public_id, merchant.attempt_limit
    for _ in range(limit + 1):
        token = csrf_token(client, f"/pay/{checkout_id}/card")
        answer = client.post(
            f"/pay/{checkout_id}/card", data={"csrf_token": token, "card_token": "x"}
        )
        assert answer.status_code == 400
    with app.app_context():
        row = db.session.get(Checkout, checkout.id)
        assert row.status == "open"
        statuses = db.session.execute(
            select(Attempt.status).where(Attempt.checkout_id == row.id)
        ).scalars()
        assert set(statuses) == {"abandoned"}


@pytest.mark.parametrize("key", ["", "k" * 256, "anahtar-é", "tab\tkey"])
def test_an_idempotency_key_is_printable_ascii(client, api_key, key):
    response = post(client, api_key, checkout_body(), **{"Idempotency-Key": key})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_idempotency_key"
