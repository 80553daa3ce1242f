"""The merchant payout API against the live sandbox: keys, validation, idempotency, visibility."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from tests import factories
from webapp.extensions import db
from webapp.models import Merchant, Payout

IBAN = "TR320010009999901234567890"


def body(**overrides):
    return {
        "amount": "2500.00",
        "currency": "TRY",
        "iban": "tr32 0010 0099 9990 1234 5678 90",
        "holder_name": "Ayşe Yılmaz",
        "customer_id": "cust-42",
        "reference": "PAYOUT-1",
        **overrides,
    }


def post(client, merchant, payload, key="key-1"):
    headers = {"Authorization": f"Bearer {merchant['key']}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post("/api/v1/payouts", json=payload, headers=headers)


def get(client, merchant, payout_id):
    headers = {"Authorization": f"Bearer {merchant['key']}"}
    return client.get(f"/api/v1/payouts/{payout_id}", headers=headers)


def payout_count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(Payout)).scalar()


def test_a_pientegra_payout_is_sent_at_once(client, merchant, sandbox):
    response = post(client, merchant, body())

    assert response.status_code == 201, response.get_data(as_text=True)
    data = response.get_json()
    assert data["object"] == "payout" and data["status"] == "pending"
    assert data["provider"] == "pientegra" and data["amount"] == "2500.00"
    assert data["iban"] == "*" * 22 + "7890" and IBAN not in response.get_data(as_text=True)
    (sent,) = sandbox.records("pientegra", "withdrawals")
    assert sent["id"] == data["provider_reference"]
    assert sent["targetIban"] == IBAN and sent["externalUserId"] == "cust-42"
    assert sent["amount"] == 250_000 or str(sent["amount"]) == "250000"
    again = get(client, merchant, data["id"])
    assert again.status_code == 200 and again.get_json()["reference_no"] == sent["referenceNo"]


def test_a_nexkasa_payout_waits_in_the_operator_queue(client, merchant, sandbox):
    response = post(client, merchant, body(provider="nexkasa"))

    data = response.get_json()
    assert response.status_code == 201 and data["status"] == "pending"
    assert data["provider_status"] == "WAITING_ASSIGNMENT"
    (sent,) = sandbox.records("nexkasa", "transactions")
    assert sent["external_user_id"] == data["id"] and sent["customer_iban"] == IBAN
    assert "/hooks/nexkasa/" + data["id"] + "?token=" in sent["callback_url"]


def test_the_merchants_default_provider_is_used(app, client, merchant, sandbox):
    with app.app_context():
        row = db.session.execute(
            select(Merchant).where(Merchant.public_id == merchant["id"])
        ).scalar_one()
        row.default_payout_provider = "nexkasa"
        db.session.commit()

    assert post(client, merchant, body()).get_json()["provider"] == "nexkasa"


def test_without_an_idempotency_key_is_400_and_nothing_is_sent(app, client, merchant, sandbox):
    response = post(client, merchant, body(), key=None)

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "idempotency_key_required"
    assert payout_count(app) == 0 and sandbox.records("pientegra", "withdrawals") == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"currency": "USD"}, "currency"),
        ({"currency": "EUR"}, "currency"),
        ({"iban": "TR320010009999901234567891"}, "iban"),  # checksum
        ({"iban": "TR3200100099999012345678"}, "iban"),  # length
        ({"iban": "DE89370400440532013000"}, "iban"),  # not Turkish
        ({"amount": 2500}, "amount"),  # a JSON number may have lost precision
        ({"amount": "0.00"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": "1000000.01"}, "amount"),  # above Pientegra's maximum
        ({"holder_name": ""}, "holder_name"),
        ({"customer_id": ""}, "customer_id"),
        ({"reference": "not valid!"}, "reference"),
        ({"provider": "paytrek"}, "provider"),
    ],
)
def test_a_bad_field_is_422_naming_it(app, client, merchant, sandbox, overrides, field):
    response = post(client, merchant, body(**overrides))

    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == field
    assert payout_count(app) == 0 and sandbox.records("pientegra", "withdrawals") == []


def test_a_known_reference_is_422(client, merchant, sandbox):
    assert post(client, merchant, body(), key="a").status_code == 201
    second = post(client, merchant, body(), key="b")

    assert second.status_code == 422
    assert second.get_json()["error"] == {
        "code": "reference_exists",
        "message": second.get_json()["error"]["message"],
        "field": "reference",
    }
    assert len(sandbox.records("pientegra", "withdrawals")) == 1


def test_a_retried_request_replays_the_first_answer_and_sends_once(app, client, merchant, sandbox):
    first = post(client, merchant, body(), key="retry-me")
    second = post(client, merchant, body(), key="retry-me")

    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.get_json()["id"] == first.get_json()["id"]
    assert payout_count(app) == 1 and len(sandbox.records("pientegra", "withdrawals")) == 1


def test_the_same_key_with_another_body_is_refused(client, merchant):
    assert post(client, merchant, body(), key="k").status_code == 201
    other = post(client, merchant, body(amount="10.00"), key="k")

    assert other.status_code == 422
    assert other.get_json()["error"]["code"] == "idempotency_key_reused"


def test_the_same_key_while_the_first_request_runs_is_409(app, merchant, sandbox):
    from webapp.api import payouts as api_payouts

    entered, release = threading.Event(), threading.Event()
    original = api_payouts.parse_payout_spec

    def slow_parse(*args, **kwargs):
        entered.set()
        release.wait(timeout=10)
        return original(*args, **kwargs)

    api_payouts.parse_payout_spec = slow_parse
    results = {}
    try:
        thread = threading.Thread(
            target=lambda: results.setdefault("first", post(app.test_client(), merchant, body()))
        )
        thread.start()
        assert entered.wait(timeout=10)
        second = post(app.test_client(), merchant, body())
        release.set()
        thread.join(timeout=10)
    finally:
        api_payouts.parse_payout_spec = original
        release.set()
    assert second.status_code == 409
    assert second.get_json()["error"]["code"] == "idempotency_key_in_use"
    assert results["first"].status_code == 201
    assert len(sandbox.records("pientegra", "withdrawals")) == 1


def test_another_merchants_payout_is_404(app, client, merchant):
    created = post(client, merchant, body()).get_json()
    with app.app_context():
        _, other_key = factories.merchant("Başka Mağaza")
        db.session.commit()

    assert get(client, {"key": other_key}, created["id"]).status_code == 404
    assert get(client, merchant, "po_unknown").status_code == 404


def test_a_bad_api_key_is_401(client):
    response = client.post("/api/v1/payouts", json=body(), headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
