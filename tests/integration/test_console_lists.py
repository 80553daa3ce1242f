"""Console lists filter by the status machine's words."""

from __future__ import annotations

from tests import factories
from tests.conftest import STAFF_PASSWORD
from tests.integration.test_auth import login
from webapp.extensions import db
from webapp.models import CheckoutStatus


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
