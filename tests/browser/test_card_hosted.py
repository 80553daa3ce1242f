"""A customer pays by card on Paytrek's hosted page and comes back to a verified result."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.cards import (
    DECLINED_LIMIT_CARD,
    PAID_CARD,
    choose,
    create_checkout,
    make_merchant,
    pay_on_hosted_page,
)
from webapp.extensions import db
from webapp.models import Checkout
from webapp.payments.status import timeline

pytestmark = pytest.mark.browser
HOSTED = "Kart (Paytrek güvenli ödeme sayfası)"


def checkout_row(site, public_id):
    with site.app.app_context():
        row = db.session.execute(
            select(Checkout).where(Checkout.public_id == public_id)
        ).scalar_one()
        return row.status, [(c.from_status, c.to_status, c.cause_kind) for c in timeline(row)]


def test_hosted_card_success(page: Page, site, sandbox):
    checkout = create_checkout(site, make_merchant(site))
    page.goto(checkout["url"])
    expect(page.get_by_text("Kitapçı")).to_be_visible()
    choose(page, HOSTED)
    expect(page).to_have_url(re.compile("^" + re.escape(sandbox.url)))
    pay_on_hosted_page(page, PAID_CARD)
    expect(page.get_by_role("heading", name="Ödeme alındı")).to_be_visible()
    status, changes = checkout_row(site, checkout["id"])
    assert status == "paid"
    assert changes[-1] == ("pending", "paid", "return_page")
    page.reload()  # reloading the result changes nothing
    expect(page.get_by_role("heading", name="Ödeme alındı")).to_be_visible()
    assert checkout_row(site, checkout["id"])[1] == changes
    page.get_by_role("link", name="Kitapçı mağazasına dön").click()
    assert "signature=" in page.url and "status=paid" in page.url


@pytest.mark.parametrize(
    ("locale", "heading", "message"),
    [
        ("tr-TR", "Ödeme tamamlanmadı", "İşlem reddedildi, lütfen kart limitinizi kontrol edin."),
        (
            "en-US",
            "Payment not completed",
            "Transaction has been denied, please check your card limit.",
        ),
    ],
)
def test_hosted_decline_shows_the_customer_message(
    browser, site, sandbox, locale, heading, message
):
    context = browser.new_context(locale=locale)
    page = context.new_page()
    try:
        checkout = create_checkout(site, make_merchant(site))
        page.goto(checkout["url"])
        page.locator("input[name=method][value=card_hosted]").check()
        page.locator("form.card button[type=submit]").click()
        pay_on_hosted_page(page, DECLINED_LIMIT_CARD)
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        expect(page.get_by_role("alert")).to_contain_text(message)
        assert checkout_row(site, checkout["id"])[0] == "open"
    finally:
        context.close()


def test_abandoned_hosted_page_keeps_the_checkout_open(page: Page, site, sandbox):
    checkout = create_checkout(site, make_merchant(site))
    page.goto(checkout["url"])
    choose(page, HOSTED)
    page.get_by_role("link", name="İptal").click()
    expect(page.get_by_role("heading", name="Ödeme tamamlanmadı")).to_be_visible()
    page.get_by_role("link", name="Tekrar dene").click()
    choose(page, HOSTED)
    pay_on_hosted_page(page, PAID_CARD)
    expect(page.get_by_role("heading", name="Ödeme alındı")).to_be_visible()
    with site.app.app_context():
        row = db.session.execute(
            select(Checkout).where(Checkout.public_id == checkout["id"])
        ).scalar_one()
        assert [a.status for a in row.attempts] == ["abandoned", "succeeded"]
        assert row.attempts[0].provider_order_id != row.attempts[1].provider_order_id


def test_popup_opener_learns_the_result_by_post_message(page: Page, site, sandbox):
    checkout = create_checkout(site, make_merchant(site))
    page.goto(site.url + "/")  # the merchant's page: its origin is registered
    page.evaluate(
        "() => { window.results = []; window.addEventListener('message', "
        "e => window.results.push({origin: e.origin, data: e.data})); }"
    )
    with page.expect_popup() as popup_info:
        page.evaluate("url => window.open(url, 'checkout')", checkout["url"])
    popup = popup_info.value
    choose(popup, HOSTED)
    pay_on_hosted_page(popup, PAID_CARD)
    expect(popup.get_by_role("heading", name="Ödeme alındı")).to_be_visible()
    page.wait_for_function("() => window.results.length > 0")
    (message,) = page.evaluate("() => window.results")
    assert message["origin"] == site.url
    assert message["data"] == {
        "type": "checkout.result",
        "checkout_id": checkout["id"],
        "order_id": "ORDER-1",
        "status": "paid",
    }
