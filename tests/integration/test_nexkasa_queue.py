"""NexKasa items no callback settled: reconcile queues them once, staff settle them by hand."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import STAFF_PASSWORD, csrf_token
from tests.integration.test_nexkasa_callbacks import decision, plain, post, started_deposit
from tests.integration.test_nexkasa_deposits import load
from webapp.extensions import db
from webapp.models import Payout, ReviewFlag
from webapp.payments.status import timeline

EN = {"Accept-Language": "en"}


@pytest.fixture
def waiting(app) -> dict[str, str]:
    """A NexKasa deposit and a NexKasa payout that NexKasa has, with no callback yet."""
    checkout_id, reference = started_deposit(app)
    with app.app_context():
        merchant, _ = factories.merchant("Ödeme Mağaza")
        payout = factories.payout(merchant, provider="nexkasa", status="pending")
        card_payout = factories.payout(merchant, provider="pientegra", status="pending")
        db.session.commit()
        return {
            "checkout": checkout_id,
            "deposit": reference,
            "payout": payout.public_id,
            "other": card_payout.public_id,
        }


def queue_flags(app) -> list[tuple[str, str, bool]]:
    with app.app_context():
        rows = db.session.execute(select(ReviewFlag).order_by(ReviewFlag.id)).scalars()
        return [(row.entity_type, row.kind, row.resolved_at is None) for row in rows]


def logged_in(app, staff_user):
    client = app.test_client()
    token = csrf_token(client, "/console/login")
    response = client.post(
        "/console/login",
        data={"email": staff_user, "password": STAFF_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    return client


def settle(client, kind: str, reference: str, decision_word: str, token: str | None = None):
    if token is None:
        page = client.get("/console/queue").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    return client.post(
        f"/console/queue/{kind}/{reference}/{decision_word}",
        data={"csrf_token": token},
        headers=EN,
    )


def test_reconcile_queues_each_stale_item_once(app, waiting):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["reconcile", "--older-than-minutes", "30"]).exit_code == 0
    assert queue_flags(app) == []  # nothing is old enough yet
    for _ in range(2):
        result = runner.invoke(args=["reconcile", "--older-than-minutes", "0"])
        assert result.exit_code == 0, result.output
    assert queue_flags(app) == [
        ("attempt", "nexkasa_unconfirmed", True),
        ("payout", "nexkasa_unconfirmed", True),
    ]
    with app.app_context():
        assert load(waiting["checkout"]).status == "pending"  # never expired while pending


def test_staff_settle_the_queue_by_hand(app, staff_user, waiting):
    app.test_cli_runner().invoke(args=["reconcile", "--older-than-minutes", "0"])
    client = logged_in(app, staff_user)
    page = client.get("/console/queue", headers=EN).get_data(as_text=True)
    assert waiting["deposit"] in page and waiting["payout"] in page
    assert waiting["other"] not in page  # only NexKasa's items: others have a status lookup
    assert 'href="/console/queue"' in page  # in the console's navigation

    assert settle(client, "deposit", waiting["deposit"], "approved").status_code == 303
    assert settle(client, "payout", waiting["payout"], "rejected").status_code == 303
    again = settle(client, "deposit", waiting["deposit"], "rejected")
    assert again.status_code == 303

    page = client.get("/console/queue", headers=EN).get_data(as_text=True)
    assert "was already decided; nothing was changed" in page
    assert "Nothing is waiting for NexKasa." in page
    assert queue_flags(app) == [
        ("attempt", "nexkasa_unconfirmed", False),
        ("payout", "nexkasa_unconfirmed", False),
    ]
    with app.app_context():
        checkout = load(waiting["checkout"])
        assert checkout.status == "paid"
        assert (timeline(checkout)[-1].cause_kind, timeline(checkout)[-1].cause_ref) == (
            "staff",
            staff_user,
        )
        payout = db.session.execute(
            select(Payout).where(Payout.public_id == waiting["payout"])
        ).scalar_one()
        assert payout.status == "rejected"
        assert (timeline(payout)[-1].cause_kind, timeline(payout)[-1].cause_ref) == (
            "staff",
            staff_user,
        )


def test_settling_needs_the_csrf_token(app, staff_user, waiting):
    client = logged_in(app, staff_user)
    response = client.post(f"/console/queue/deposit/{waiting['deposit']}/approved", headers=EN)
    assert response.status_code == 400
    with app.app_context():
        assert load(waiting["checkout"]).status == "pending"


def test_a_callback_settles_a_queued_item_and_takes_it_off_the_queue(app, staff_user, waiting):
    app.test_cli_runner().invoke(args=["reconcile", "--older-than-minutes", "0"])
    response = post(app.test_client(), waiting["deposit"], plain(decision(42)))
    assert response.status_code == 200
    assert queue_flags(app)[0] == ("attempt", "nexkasa_unconfirmed", False)
    client = logged_in(app, staff_user)
    assert waiting["deposit"] not in client.get("/console/queue").get_data(as_text=True)


def test_the_queue_is_for_staff_only(client):
    response = client.get("/console/queue")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/login")
