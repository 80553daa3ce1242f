"""Bank transfers through Pientegra, in Turkish, as the customer and Pientegra's operator see them:
the deposit page opens in a new window, our tab waits, the signed webhook decides."""

from __future__ import annotations

import re
import uuid

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.browser.cards import create_checkout, make_merchant

pytestmark = pytest.mark.browser
METHOD = "Havale/EFT (Pientegra)"
WAITING = "Havalenizi bekliyoruz"
OPEN_DEPOSIT_PAGE = "Havale sayfasını aç"
DEPOSIT_PAGE = re.compile(r"/pientegra/d/")


@pytest.fixture
def webhooks_to_site(site, sandbox) -> None:
    """Pientegra (the sandbox) posts its signed webhooks to our live site."""
    sandbox.settings("pientegra", webhook_url=f"{site.url}/hooks/pientegra")


def start_transfer(page: Page, site) -> dict:
    """The customer picks Pientegra, confirms, and lands on the pending page."""
    checkout = create_checkout(site, make_merchant(site), methods=["pientegra_transfer"])
    page.goto(checkout["url"])
    page.get_by_label(METHOD).check()
    page.get_by_role("button", name="Ödemeye geç").click()
    expect(page.get_by_role("heading", name="Havale/EFT ile öde")).to_be_visible()
    page.get_by_role("button", name="Havale/EFT ile devam et").click()
    expect(page.get_by_role("heading", name=WAITING)).to_be_visible()
    return checkout


def open_deposit_page(page: Page) -> Page:
    with page.expect_popup() as popup:
        page.get_by_role("link", name=OPEN_DEPOSIT_PAGE).click()
    deposit = popup.value
    expect(deposit).to_have_url(DEPOSIT_PAGE)
    expect(deposit.get_by_role("heading", name="Havale ile para yatırma")).to_be_visible()
    return deposit


def operator_decides(page: Page, sandbox, button: str) -> None:
    """Pientegra's operator, on the sandbox's operator page, in a tab of its own."""
    (intent,) = sandbox.records("pientegra", "intents")
    desk = page.context.new_page()
    desk.goto(f"{sandbox.url}/_sandbox/operator")
    with desk.expect_navigation():  # closing a tab mid-navigation can hang Chromium for good
        desk.get_by_role("button", name=f"{button} {intent['referenceNo']}").click()
    expect(desk.get_by_role("button", name=f"{button} {intent['referenceNo']}")).to_have_count(0)
    desk.close()


def test_an_approved_deposit_pays_and_the_customer_goes_on_to_the_merchant(
    page: Page, site, sandbox, webhooks_to_site
):
    checkout = start_transfer(page, site)
    deposit = open_deposit_page(page)
    deposit.get_by_role("button", name="Ödemeyi yaptım").click()
    expect(deposit.get_by_role("status")).to_have_text("Ödemeniz kontrol ediliyor")
    expect(page.get_by_role("heading", name=WAITING)).to_be_visible()  # our tab still waits

    operator_decides(page, sandbox, "Onayla")

    expect(page.get_by_role("heading", name="Ödeme alındı")).to_be_visible()
    page.get_by_role("link", name="Kitapçı mağazasına dön").click()
    expect(page).to_have_url(re.compile(rf"\?paid=1&.*checkout_id={checkout['id']}.*status=paid"))


def test_a_rejected_deposit_is_shown_and_the_customer_may_try_again(
    page: Page, site, sandbox, webhooks_to_site
):
    start_transfer(page, site)
    open_deposit_page(page).get_by_role("button", name="Ödemeyi yaptım").click()

    operator_decides(page, sandbox, "Reddet")

    expect(page.get_by_role("heading", name="Ödeme tamamlanmadı")).to_be_visible()
    expect(page.get_by_role("link", name="Tekrar dene")).to_be_visible()


def test_the_pending_page_resolves_after_the_customer_closed_the_deposit_page(
    page: Page, site, sandbox, webhooks_to_site
):
    start_transfer(page, site)
    deposit = open_deposit_page(page)
    deposit.get_by_role("button", name="Ödemeyi yaptım").click()
    # The customer reads the answer, then closes the tab (and Chromium may never finish closing
    # a tab whose navigation is still being committed).
    expect(deposit.get_by_role("status")).to_have_text("Ödemeniz kontrol ediliyor")
    deposit.close()
    page.reload()  # even a reload keeps the same deposit: no second one is made
    expect(page.get_by_role("heading", name=WAITING)).to_be_visible()

    operator_decides(page, sandbox, "Onayla")

    expect(page.get_by_role("heading", name="Ödeme alındı")).to_be_visible()
    assert len(sandbox.records("pientegra", "intents")) == 1


def test_a_blocked_popup_leaves_a_plain_link(page: Page, site, sandbox):
    page.add_init_script("window.open = function () { return null; };")
    start_transfer(page, site)

    page.get_by_role("link", name=OPEN_DEPOSIT_PAGE).click()

    expect(page.get_by_role("alert")).to_contain_text("Tarayıcınız yeni pencereyi engelledi.")
    page.get_by_role("link", name="Havale sayfasını bu sekmede açın").click()
    expect(page).to_have_url(DEPOSIT_PAGE)


def test_a_payout_is_sent_then_returned(page: Page, site, sandbox, webhooks_to_site):
    merchant = make_merchant(site)
    response = requests.post(
        f"{site.url}/api/v1/payouts",
        json={
            "amount": "250.00",
            "currency": "TRY",
            "iban": "TR32 0010 0099 9990 1234 5678 90",
            "holder_name": "Ayşe Yılmaz",
            "customer_id": "cust-7",
            "reference": "PAYOUT-1",
            "provider": "pientegra",
        },
        headers={
            "Authorization": f"Bearer {merchant['key']}",
            "Idempotency-Key": str(uuid.uuid4()),
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    payout = response.json()
    assert payout["status"] == "pending"
    page.goto(f"{site.url}/payout/{payout['id']}")
    expect(page.get_by_role("heading", name="Para çekme işleniyor")).to_be_visible()

    desk = page.context.new_page()
    desk.goto(f"{sandbox.url}/_sandbox/operator")
    for button in ("Onayla", "Gönderildi"):
        desk.get_by_role("button", name=f"{button} {payout['reference_no']}").click()
    expect(page.get_by_role("heading", name="Para gönderildi")).to_be_visible()

    desk.get_by_role("button", name=f"İade edildi {payout['reference_no']}").click()
    sandbox.wait_for_webhooks_idle()
    page.reload()

    expect(page.get_by_role("heading", name="Para iade döndü")).to_be_visible()
    state = requests.get(
        f"{site.url}/api/v1/payouts/{payout['id']}",
        headers={"Authorization": f"Bearer {merchant['key']}"},
        timeout=10,
    ).json()
    assert state["status"] == "returned"
