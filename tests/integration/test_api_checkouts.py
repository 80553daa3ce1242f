"""The merchant checkout API: auth, validation, idempotency, origins, visibility."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from tests import factories
from webapp.extensions import db
from webapp.models import Checkout, IdempotencyKey
from webapp.payments.checkouts import find_by_public_id


def body(**overrides):
    return {
        "amount": "1500.00",
        "currency": "TRY",
        "order_id": "ORDER-1",
        "description": "Kitap siparişi",
        "items": [
            {"name": "Roman", "quantity": 2, "unit_price": "500.00"},
            {"name": "Defter", "quantity": 1, "unit_price": "500.00"},
        ],
        "customer": {
            "id": "cust-42",
            "first_name": "Ayşe",
            "last_name": "Yılmaz",
            "email": "ayse@example.com",
        },
        "success_url": "https://shop.example/thanks",
        "cancel_url": "https://shop.example/cart",
        **overrides,
    }


def post(client, merchant, payload, key=None, **headers):
    if key:
        headers["Idempotency-Key"] = key
    return client.post(
        "/api/v1/checkouts",
        json=payload,
        headers={"Authorization": f"Bearer {merchant['key']}", **headers},
    )


def test_create_and_read_a_checkout(client, merchant):
    response = post(client, merchant, body())
    assert response.status_code == 201
    data = response.get_json()
    assert data["status"] == "open"
    assert data["amount"] == "1500.00"
    assert data["url"] == f"http://127.0.0.1:5000/pay/{data['id']}"
    assert data["expires_at"].endswith("Z")
    again = client.get(
        f"/api/v1/checkouts/{data['id']}", headers={"Authorization": f"Bearer {merchant['key']}"}
    )
    assert again.status_code == 200
    assert again.get_json()["payments"] == []


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic abc", "Bearer "])
def test_bad_key_is_401(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.post("/api/v1/checkouts", json=body(), headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_body_that_is_not_json_is_400(client, merchant):
    response = client.post(
        "/api/v1/checkouts",
        data="{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {merchant['key']}"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "15.001"}, "amount"),
        ({"amount": 1500.0}, "amount"),
        ({"amount": "0.00", "items": []}, "amount"),
        ({"currency": "GBP"}, "currency"),
        ({"order_id": ""}, "order_id"),
        ({"items": [{"name": "x", "quantity": 1, "unit_price": "1.00"}]}, "items"),
        ({"success_url": "https://evil.example/steal"}, "success_url"),
        ({"cancel_url": "javascript:alert(1)"}, "cancel_url"),
        (
            {
                "currency": "USD",
                "methods": ["card_hosted", "pientegra_transfer"],
                "amount": "10.00",
                "items": [],
            },
            "methods",
        ),
        ({"methods": ["nexkasa_transfer"], "customer": {}}, "customer.id"),
        ({"capture": "later"}, "capture"),
        ({"expires_in": 10}, "expires_in"),
        ({"customer": {"email": "not-an-email"}}, "customer.email"),
        ({"unknown": 1}, "unknown"),
        ({"billing": {"country": "US", "state": "New York"}}, "billing.state"),
    ],
)
def test_validation_names_the_field(client, merchant, overrides, field):
    response = post(client, merchant, body(**overrides))
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["field"] == field


def test_a_us_state_is_kept_as_its_postal_code(app, client, merchant):
    response = post(client, merchant, body(billing={"country": "US", "state": "ny"}))
    assert response.status_code == 201, response.get_json()
    with app.app_context():
        assert find_by_public_id(response.get_json()["id"]).billing_state == "NY"


def test_order_id_is_unique_per_merchant(app, client, merchant):
    assert post(client, merchant, body()).status_code == 201
    again = post(client, merchant, body())
    assert again.status_code == 422
    assert again.get_json()["error"]["code"] == "order_exists"
    with app.app_context():
        _, key = factories.merchant("Other")
        db.session.commit()
    assert post(client, {"key": key}, body()).status_code == 201


def test_another_merchants_checkout_is_not_visible(app, client, merchant):
    created = post(client, merchant, body()).get_json()
    with app.app_context():
        _, key = factories.merchant("Other")
        db.session.commit()
    response = client.get(
        f"/api/v1/checkouts/{created['id']}", headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_idempotent_replay_returns_the_first_response(app, client, merchant):
    first = post(client, merchant, body(), key="key-1")
    second = post(client, merchant, body(), key="key-1")
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Checkout)).scalar() == 1


def test_same_key_with_another_body_is_422(client, merchant):
    post(client, merchant, body(), key="key-2")
    response = post(client, merchant, body(amount="1.00", items=[]), key="key-2")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "idempotency_key_reused"


def test_validation_errors_are_replayed_too(client, merchant):
    first = post(client, merchant, body(currency="GBP"), key="key-3")
    second = post(client, merchant, body(currency="GBP"), key="key-3")
    assert first.status_code == second.status_code == 422
    assert second.headers["Idempotent-Replayed"] == "true"


def test_key_still_in_flight_is_409(app, merchant):
    """While the first request holds the key, a retry is told to wait."""
    from webapp.api import views

    entered, release = threading.Event(), threading.Event()
    original = views.create_checkout

    def slow_create(*args, **kwargs):
        entered.set()
        release.wait(timeout=10)
        return original(*args, **kwargs)

    views.create_checkout = slow_create
    results = {}
    try:
        thread = threading.Thread(
            target=lambda: results.setdefault(
                "first", post(app.test_client(), merchant, body(), key="k4")
            )
        )
        thread.start()
        assert entered.wait(timeout=10)
        second = post(app.test_client(), merchant, body(), key="k4")
        release.set()
        thread.join(timeout=10)
    finally:
        views.create_checkout = original
        release.set()
    assert second.status_code == 409
    assert second.get_json()["error"]["code"] == "idempotency_key_in_use"
    assert results["first"].status_code == 201


def test_keys_are_scoped_per_merchant(app, client, merchant):
    with app.app_context():
        _, other_key = factories.merchant("Other")
        db.session.commit()
    assert post(client, merchant, body(), key="shared").status_code == 201
    assert post(client, {"key": other_key}, body(), key="shared").status_code == 201
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(IdempotencyKey)).scalar() == 2


def test_api_needs_no_csrf_token_and_sends_no_cookie(client, merchant):
    response = post(client, merchant, body())
    assert response.status_code == 201
    assert "Set-Cookie" not in response.headers
