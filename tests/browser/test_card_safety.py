"""What must never happen on card pages: two sales for one click, a forged return, a bad link,
or a script that is not in the README's inventory."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.cards import (
    THREE_D_CARD,
    create_checkout,
    make_merchant,
    pay_on_hosted_page,
)
from tests.browser.conftest import script_inventory
from webapp.extensions import db
from webapp.models import Attempt, Checkout
from webapp.payments import links

pytestmark = pytest.mark.browser


def attempts_of(site, public_id) -> list[Attempt]:
    with site.app.app_context():
        row = db.session.execute(
            select(Checkout).where(Checkout.public_id == public_id)
        ).scalar_one()
        return [(a.status, a.provider_reference) for a in row.attempts]


def test_double_click_and_two_tabs_make_one_sale(page: Page, site, sandbox):
    checkout = create_checkout(site, make_merchant(site))
    other = page.context.new_page()
    for tab in (page, other):
        tab.goto(checkout["url"])
        tab.get_by_label("Kart (Paytrek güvenli ödeme sayfası)").check()
    page.get_by_role("button", name="Ödemeye geç").dblclick()
    other.get_by_role("button", name="Ödemeye geç").click()
    expect(page.get_by_label("Kart Numarası")).to_be_visible()
    expect(other.get_by_label("Kart Numarası")).to_be_visible()
    assert page.url == other.url
    assert len(sandbox.records("paytrek", "sales")) == 1
    assert len(attempts_of(site, checkout["id"])) == 1
    pay_on_hosted_page(other, "4508034508034509")
    expect(other.get_by_role("heading", name="Ödeme alındı")).to_be_visible()


def test_forged_return_token_is_refused(page: Page, site, sandbox):
    merchant = make_merchant(site)
    victim = create_checkout(site, merchant, order_id="VICTIM")
    attacker = create_checkout(site, merchant, order_id="ATTACKER")
    page.goto(attacker["url"])
    page.get_by_label("Kart (Paytrek güvenli ödeme sayfası)").check()
    page.get_by_role("button", name="Ödemeye geç").click()
    pay_on_hosted_page(page, "4508034508034509")
    expect(page.get_by_role("heading", name="Ödeme alındı")).to_be_visible()
    ((_, token),) = attempts_of(site, attacker["id"])
    response = page.goto(f"{site.url}/pay/{victim['id']}/return?token={token}")
    assert response.status == 400
    expect(page.get_by_role("heading", name="Bu ödeme bu siparişe ait değil")).to_be_visible()
    response = page.goto(f"{site.url}/pay/{victim['id']}/return?token=made-up-token")
    assert response.status == 400
    with site.app.app_context():
        row = db.session.execute(
            select(Checkout).where(Checkout.public_id == victim["id"])
        ).scalar_one()
        assert row.status == "open"


def test_tampered_and_expired_links(page: Page, site, sandbox):
    merchant = make_merchant(site)
    params = {
        "merchant": merchant["id"],
        "order_id": "LINK-1",
        "amount": "75.00",
        "currency": "TRY",
        "description": "Çiçek",
        "expires": str(int(time.time()) + 600),
    }
    good = f"{site.url}/pay/link?" + links.signed_query(params, merchant["secret"], links.CHECKOUT)
    page.goto(good.replace("amount=75.00", "amount=0.75"))
    expect(page.get_by_role("heading", name="Bu ödeme linki geçerli değil")).to_be_visible()
    expired = {**params, "expires": str(int(time.time()) - 5)}
    page.goto(
        f"{site.url}/pay/link?" + links.signed_query(expired, merchant["secret"], links.CHECKOUT)
    )
    expect(page.get_by_role("heading", name="Bu ödeme linkinin süresi doldu")).to_be_visible()
    with site.app.app_context():
        assert db.session.execute(select(Checkout)).first() is None
    page.goto(good)
    expect(page.get_by_text("Çiçek").first).to_be_visible()
    expect(page.get_by_text("₺75,00").first).to_be_visible()


def test_payment_pages_load_only_inventoried_scripts(page: Page, site, sandbox):
    inventory = script_inventory()
    assert inventory, "README lists the payment pages' scripts"
    loaded: list[str] = []
    page.on("request", lambda r: loaded.append(r.url) if r.resource_type == "script" else None)
    checkout = create_checkout(site, make_merchant(site))
    page.goto(checkout["url"])
    page.get_by_label("3-D Secure ile kart").check()
    page.get_by_role("button", name="Ödemeye geç").click()
    expect(page.get_by_role("heading", name="Kartla ödeme")).to_be_visible()
    page.get_by_label("Kart numarası").fill(THREE_D_CARD)
    page.goto(f"{site.url}/pay/{checkout['id']}/result")
    paths = {re.sub(r"^https?://[^/]+", "", url) for url in loaded}
    paytrek_prefix = re.sub(r"^https?://[^/]+", "", sandbox.base_url("paytrek"))
    normalised = {
        p.removeprefix(paytrek_prefix) if p.startswith(paytrek_prefix) else p for p in paths
    }
    assert normalised, "the card page loads scripts"
    assert normalised <= inventory, normalised - inventory
