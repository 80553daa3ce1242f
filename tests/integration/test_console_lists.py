"""Console lists filter by the status machine's words."""

from __future__ import annotations

from tests import factories
from tests.conftest import STAFF_PASSWORD
from tests.integration.test_auth import login
from webapp.extensions import db
from webapp.models import CheckoutStatus
from webapp.payments.attempts import flag


def test_checkouts_filter_by_status(app, client, staff_user):
    with app.app_context():
        owner, _ = factories.merchant()
        paid = factories.checkout(owner, order_id="PAID-1", status=CheckoutStatus.PAID)
        factories.checkout(owner, order_id="OPEN-1")
        db.session.commit()
        paid_id = paid.public_id
    login(client, staff_user, STAFF_PASSWORD)
    everything = client.get("/console/checkouts").get_data(as_text=True)
    assert "PAID-1" in everything and "OPEN-1" in everything
    only_paid = client.get("/console/checkouts?status=paid").get_data(as_text=True)
    assert "PAID-1" in only_paid and "OPEN-1" not in only_paid
    assert f'href="/console/checkouts/{paid_id}"' in only_paid
    assert '<option value="paid" selected>' in only_paid


def test_the_payment_page_names_codes_in_the_staff_members_language(app, client, staff_user):
    with app.app_context():
        owner, _ = factories.merchant()
        row = factories.checkout(owner, order_id="HELD-1", status=CheckoutStatus.AUTHORIZED)
        db.session.flush()
        flag("checkout", row.id, "held_for_review", "Paytrek holds sale co_x-1 (Authorized).")
        db.session.commit()
        checkout_id = row.public_id
    login(client, staff_user, STAFF_PASSWORD)

    turkish = client.get(f"/console/checkouts/{checkout_id}", headers={"Accept-Language": "tr"})
    english = client.get(f"/console/checkouts/{checkout_id}", headers={"Accept-Language": "en"})

    text = turkish.get_data(as_text=True)
    assert "Paytrek incelemeye aldı: tahsil edin ya da iptal edin" in text
    assert "<dt>Tahsilat şekli</dt><dd>otomatik</dd>" in text
    assert "held_for_review" not in text and "automatic" not in text
    text = english.get_data(as_text=True)
    assert "Held by Paytrek for review: capture or cancel it" in text
    assert "<dt>Capture</dt><dd>automatic</dd>" in text
