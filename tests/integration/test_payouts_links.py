"""Payout links, the customer's pages, the console's payout pages and the payout-link command."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import CSRF_FIELD, STAFF_PASSWORD
from tests.integration.test_auth import login
from webapp.extensions import db
from webapp.models import Payout, PayoutStatus
from webapp.payments import links
from webapp.payments.payout_links import build_payout_link

IBAN = "TR320010009999901234567890"
EN = {"Accept-Language": "en"}


@pytest.fixture
def merchant(app):
    with app.app_context():
        row, _ = factories.merchant("Link Mağaza")
        db.session.commit()
        return {"id": row.public_id, "secret": row.link_secret}


def link(app, merchant, **overrides) -> str:
    fields = {
        "link_id": "L-1",
        "customer_id": "cust-7",
        "max_amount": "500.00",
        "expires": str(int(time.time()) + 3600),
        **overrides,
    }
    with app.app_context():
        from webapp.models import Merchant

        row = db.session.execute(
            select(Merchant).where(Merchant.public_id == merchant["id"])
        ).scalar_one()
        return build_payout_link(row, "/payout/link", fields)


def submit(client, url, **fields):
    page = client.get(url, headers=EN)
    token = CSRF_FIELD.search(page.get_data(as_text=True)).group(1)
    data = {"iban": IBAN, "holder_name": "Ayşe Yılmaz", "amount": "250.00", **fields}
    return client.post(url, data={**data, "csrf_token": token}, headers=EN)


def payouts(app) -> list[Payout]:
    with app.app_context():
        return db.session.execute(select(Payout)).scalars().all()


def test_a_valid_link_shows_the_request_form(app, client, merchant):
    page = client.get(link(app, merchant), headers=EN)

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Request a payout" in text and "TRY 500.00" in text


def test_the_customer_requests_a_payout_and_sees_its_status(app, client, merchant, sandbox):
    response = submit(
        client, link(app, merchant), iban="tr32 0010 0099 9990 1234 5678 90", amount="250,00"
    )

    assert response.status_code == 303
    (payout,) = payouts(app)
    assert response.headers["Location"] == f"/payout/{payout.public_id}"
    assert (payout.iban, payout.customer_ref, payout.amount_minor) == (IBAN, "cust-7", 25_000)
    assert payout.reference == "link:L-1" and payout.status == "pending"
    (sent,) = sandbox.records("pientegra", "withdrawals")
    assert sent["targetIban"] == IBAN

    status = client.get(response.headers["Location"], headers=EN)
    text = status.get_data(as_text=True)
    assert status.status_code == 200 and "Payout in progress" in text
    assert "*" * 22 + "7890" in text and IBAN not in text
    assert 'http-equiv="refresh"' in text


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"iban": "TR320010009999901234567891"}, "iban", "please check the digits"),
        ({"iban": "TR32 0010"}, "iban", "26 characters"),
        ({"iban": "DE89370400440532013000"}, "iban", "starts with TR"),
        ({"amount": "500.01"}, "amount", "above the limit"),
        ({"amount": "abc"}, "amount", "such as 150.00"),
        ({"holder_name": ""}, "holder_name", "Enter the account holder"),
        ({"iban": ""}, "iban", "Enter your IBAN."),
    ],
)
def test_a_bad_field_is_shown_under_it_and_nothing_is_sent(
    app, client, merchant, sandbox, fields, field, message
):
    response = submit(client, link(app, merchant), **fields)

    assert response.status_code == 400
    errors = re.search(rf'id="{field}-errors">(.*?)</ul>', response.get_data(as_text=True), re.S)
    assert errors and message in errors.group(1)
    assert payouts(app) == [] and sandbox.records("pientegra", "withdrawals") == []


def test_every_bad_field_is_shown_at_once(app, client, merchant):
    response = submit(client, link(app, merchant), iban="TR00", amount="9999")

    text = response.get_data(as_text=True)
    assert 'id="iban-errors"' in text and 'id="amount-errors"' in text


def test_a_replayed_link_sends_nothing_twice(app, client, merchant, sandbox):
    url = link(app, merchant)
    token = CSRF_FIELD.search(client.get(url).get_data(as_text=True)).group(1)
    first = submit(client, url)
    again = client.get(url)
    data = {"iban": IBAN, "holder_name": "X Y", "amount": "1.00", "csrf_token": token}
    resubmitted = client.post(url, data=data)  # a second tab's form, sent after the first

    assert again.status_code == resubmitted.status_code == 303
    assert again.headers["Location"] == resubmitted.headers["Location"] == first.headers["Location"]
    assert len(payouts(app)) == 1 and len(sandbox.records("pientegra", "withdrawals")) == 1


@pytest.mark.parametrize(
    "change",
    [
        lambda q: q.replace("max_amount=500.00", "max_amount=50000.00"),
        lambda q: q.replace("customer_id=cust-7", "customer_id=cust-8"),
        lambda q: q[:-1] + ("0" if q[-1] != "0" else "1"),
        lambda q: q + "&max_amount=1.00",
        lambda q: q.replace("&signature=", "&x=1&signature="),
    ],
)
def test_a_tampered_link_is_refused(app, client, merchant, change):
    response = client.get(change(link(app, merchant)), headers=EN)

    assert response.status_code == 400
    assert "This payout link is not valid" in response.get_data(as_text=True)
    assert payouts(app) == []


def test_a_checkout_signature_is_not_a_payout_signature(app, client, merchant):
    params = links.parse_query(urlsplit(link(app, merchant)).query)
    params["signature"] = links.sign(params, merchant["secret"], links.CHECKOUT)

    response = client.get(f"/payout/link?{links.canonical(params)}&signature={params['signature']}")
    assert response.status_code == 400


def test_an_expired_link_is_410(app, client, merchant):
    response = client.get(link(app, merchant, expires=str(int(time.time()) - 5)), headers=EN)

    assert response.status_code == 410
    assert "This payout link has expired" in response.get_data(as_text=True)


def test_the_status_page_of_an_unknown_payout_is_404(client):
    assert client.get("/payout/po_nope").status_code == 404


def test_the_payout_link_command_prints_a_working_link(app, merchant):
    result = app.test_cli_runner().invoke(
        args=[
            "payout-link",
            "--merchant",
            merchant["id"],
            "--link-id",
            "CLI-1",
            "--customer-id",
            "cust-9",
            "--max-amount",
            "750.00",
        ]
    )

    assert result.exit_code == 0, result.output
    url = result.output.strip()
    assert url.startswith("http://127.0.0.1:5000/payout/link?") and "link_id=CLI-1" in url
    parts = urlsplit(url)
    assert app.test_client().get(f"{parts.path}?{parts.query}").status_code == 200


def test_the_payout_link_command_refuses_a_bad_amount(app, merchant):
    result = app.test_cli_runner().invoke(
        args=[
            *("payout-link", "--merchant", merchant["id"], "--link-id", "x"),
            *("--customer-id", "c", "--max-amount", "1,5"),
        ]
    )
    assert result.exit_code != 0 and "max_amount" in result.output


# --- console ----------------------------------------------------------------------------------


def test_staff_see_payouts_with_their_timeline(app, client, merchant, staff_user):
    submit(client, link(app, merchant))
    (payout,) = payouts(app)
    login(client, staff_user, STAFF_PASSWORD)

    listing = client.get("/console/payouts?status=pending", headers=EN).get_data(as_text=True)
    empty = client.get("/console/payouts?status=sent", headers=EN).get_data(as_text=True)
    detail = client.get(f"/console/payouts/{payout.public_id}", headers=EN)

    assert payout.public_id in listing and payout.public_id not in empty
    text = detail.get_data(as_text=True)
    assert detail.status_code == 200 and payout.provider_reference in text
    assert "*" * 22 + "7890" in text and IBAN not in text
    assert "Requested → Pending" in text


def test_staff_settle_a_payout_under_review(app, client, staff_user):
    with app.app_context():
        merchant, _ = factories.merchant()
        row = factories.payout(merchant, status=PayoutStatus.NEEDS_REVIEW, provider="nexkasa")
        db.session.commit()
        public_id = row.public_id
    login(client, staff_user, STAFF_PASSWORD)
    page = f"/console/payouts/{public_id}"
    token = CSRF_FIELD.search(client.get(page).get_data(as_text=True)).group(1)

    response = client.post(
        f"{page}/settle", data={"target": "sent", "note": "panel: sent", "csrf_token": token}
    )

    assert response.status_code == 303
    with app.app_context():
        assert db.session.execute(select(Payout.status)).scalar() == "sent"
        assert db.session.execute(select(func.count()).select_from(Payout)).scalar() == 1


def test_the_console_payout_pages_need_a_login(client):
    assert client.get("/console/payouts").status_code == 302
