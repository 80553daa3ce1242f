"""Signed checkout links, opened as a customer would."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from tests import factories
from webapp.extensions import db
from webapp.models import Checkout
from webapp.payments import links


@pytest.fixture
def merchant(app):
    with app.app_context():
        row, _ = factories.merchant("Link Mağaza")
        db.session.commit()
        return {"id": row.public_id, "secret": row.link_secret}


def link(merchant, **overrides):
    params = {
        "merchant": merchant["id"],
        "order_id": "L-1",
        "amount": "250.00",
        "currency": "TRY",
        "description": "Kahve",
        "expires": str(int(time.time()) + 3600),
        "success_url": "https://shop.example/ok",
        **overrides,
    }
    return "/pay/link?" + links.signed_query(params, merchant["secret"], links.CHECKOUT)


def count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(Checkout)).scalar_one()


def test_valid_link_opens_one_checkout_however_often(app, client, merchant):
    first = client.get(link(merchant))
    second = client.get(link(merchant))
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert first.headers["Location"].startswith("/pay/co_")
    assert count(app) == 1
    page = client.get(first.headers["Location"], headers={"Accept-Language": "en"})
    assert "Link Mağaza" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda url: url.replace("amount=250.00", "amount=1.00"),
        lambda url: url[:-1] + ("0" if url[-1] != "0" else "1"),
        lambda url: url + "&amount=1.00",
        lambda url: url.replace("signature=", "sig="),
    ],
)
def test_tampered_link_creates_nothing(app, client, merchant, tamper):
    response = client.get(tamper(link(merchant)), headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "This payment link is not valid" in response.get_data(as_text=True)
    assert count(app) == 0


def test_expired_link_creates_nothing(app, client, merchant):
    response = client.get(link(merchant, expires=str(int(time.time()) - 1)))
    assert response.status_code == 410
    assert "Bu ödeme linkinin süresi doldu" in response.get_data(as_text=True)
    assert count(app) == 0


def test_link_signed_with_another_secret_is_refused(app, client, merchant):
    forged = "/pay/link?" + links.signed_query(
        {
            "merchant": merchant["id"],
            "order_id": "X",
            "amount": "1.00",
            "currency": "TRY",
            "expires": str(int(time.time()) + 60),
        },
        "not-the-secret",
        links.CHECKOUT,
    )
    assert client.get(forged).status_code == 400
    assert count(app) == 0


def test_link_to_a_foreign_return_origin_is_refused(app, client, merchant):
    response = client.get(link(merchant, success_url="https://evil.example/"))
    assert response.status_code == 400
    assert count(app) == 0


def test_same_order_with_another_amount_is_refused(app, client, merchant):
    client.get(link(merchant))
    assert client.get(link(merchant, amount="999.00")).status_code == 400
    assert count(app) == 1


def test_cli_prints_a_working_link(app, runner, client, merchant):
    result = runner.invoke(
        args=[
            "checkout-link",
            "--merchant",
            merchant["id"],
            "--order-id",
            "CLI-1",
            "--amount",
            "99.90",
            "--description",
            "Çay",
        ]
    )
    assert result.exit_code == 0, result.output
    url, button = result.output.strip().splitlines()
    assert button.startswith('<a href="') and "Öde" in button
    path = url.replace("http://127.0.0.1:5000", "")
    assert client.get(path).status_code == 303
    assert count(app) == 1


def test_unknown_parameters_are_refused(client, merchant):
    url = link(merchant) + "&" + urlencode({"x": "1"})
    assert client.get(url).status_code == 400
