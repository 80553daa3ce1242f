"""NexKasa in a browser: a customer's bank transfer and a payout, decided by NexKasa's operator.

The operator works on the sandbox's own page, as NexKasa's staff would in its panel; the site
hears of each decision only through NexKasa's callbacks to its public URL.
"""

from __future__ import annotations

import re
import uuid

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.browser.cards import choose, create_checkout, make_merchant

pytestmark = pytest.mark.browser

DECIDED = 15_000  # ms: NexKasa's callback, then the pending page's next poll
IBAN = "TR320010009999901234567890"


def operator(page: Page, sandbox, action: str, transaction_id: int, reason: str = "") -> None:
    """Decide as NexKasa's operator, on the sandbox's operator page, in another tab."""
    panel = page.context.new_page()
    panel.goto(f"{sandbox.url}/_sandbox/operator")
    nexkasa = panel.get_by_role("region", name="NexKasa")
    if reason:
        nexkasa.get_by_label(f"Ret nedeni {transaction_id}").fill(reason)
    with panel.expect_navigation():  # closing a tab mid-navigation can hang Chromium for good
        nexkasa.get_by_role("button", name=f"{action} {transaction_id}", exact=True).click()
    expect(panel.get_by_role("heading", name="Onay bekleyen işlemler")).to_be_visible()
    panel.close()


def nexkasa_transaction(sandbox) -> dict:
    (transaction,) = sandbox.records("nexkasa", "transactions")
    return transaction


def start_transfer(page: Page, site, sandbox) -> dict:
    """A customer picks NexKasa on the checkout page and gets the bank account; returns it."""
    merchant = make_merchant(site)
    checkout = create_checkout(site, merchant, methods=["nexkasa_transfer", "card_hosted"])
    page.goto(checkout["url"])
    choose(page, "Havale/EFT (NexKasa)")
    expect(page.get_by_role("heading", name="Havale/EFT")).to_be_visible()
    expect(page.get_by_label("Gönderenin adı soyadı")).to_have_value("Ayşe Yılmaz")
    page.get_by_role("button", name="Banka bilgilerini göster").click()
    expect(page.get_by_role("heading", name="Havalenizi gönderin")).to_be_visible()
    return nexkasa_transaction(sandbox)


def test_a_bank_transfer_approved_by_the_operator(page: Page, site, sandbox):
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            csp_errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    transaction = start_transfer(page, site, sandbox)
    account = transaction["bank_account"]
    expect(page.get_by_text(account["iban"], exact=True)).to_be_visible()
    expect(page.get_by_text(account["banka_adi"], exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"tam olarak ₺1\.500,00"))).to_be_visible()

    page.get_by_role("button", name="IBAN'ı kopyala").click()
    expect(page.get_by_role("status").filter(has_text="Kopyalandı")).to_have_count(1)
    assert page.evaluate("navigator.clipboard.readText()") == account["iban"]

    operator(page, sandbox, "Onayla", transaction["id"])
    expect(page.get_by_role("heading", name="Ödeme alındı")).to_be_visible(timeout=DECIDED)
    assert csp_errors == []


def test_a_bank_transfer_rejected_by_the_operator(page: Page, site, sandbox):
    transaction = start_transfer(page, site, sandbox)
    operator(page, sandbox, "Reddet", transaction["id"], reason="Dekont bulunamadı")
    expect(page.get_by_role("heading", name="Ödeme tamamlanmadı")).to_be_visible(timeout=DECIDED)
    page.get_by_role("link", name="Tekrar dene").click()  # the checkout stays open
    expect(page.get_by_role("button", name="Ödemeye geç")).to_be_visible()


def create_payout(site, merchant, reference: str) -> dict:
    response = requests.post(
        f"{site.url}/api/v1/payouts",
        json={
            "amount": "2500.00",
            "currency": "TRY",
            "iban": IBAN,
            "holder_name": "Mehmet Demir",
            "customer_id": "c-9",
            "reference": reference,
            "provider": "nexkasa",
        },
        headers={
            "Authorization": f"Bearer {merchant['key']}",
            "Idempotency-Key": str(uuid.uuid4()),
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_a_withdrawal_waits_in_the_operator_queue_then_is_sent(page: Page, site, sandbox):
    payout = create_payout(site, make_merchant(site), "PAYOUT-1")
    page.goto(f"{site.url}/payout/{payout['id']}")
    expect(page.get_by_role("heading", name="Para çekme işleniyor")).to_be_visible()
    expect(page.get_by_text("Para çekme talebiniz operatör kuyruğunda.")).to_be_visible()

    transaction = nexkasa_transaction(sandbox)
    assert transaction["status"] == "WAITING_ASSIGNMENT"
    operator(page, sandbox, "Ata", transaction["id"])
    operator(page, sandbox, "Onayla", transaction["id"])
    expect(page.get_by_role("heading", name="Para gönderildi")).to_be_visible(timeout=DECIDED)


def test_a_rejected_withdrawal(page: Page, site, sandbox):
    payout = create_payout(site, make_merchant(site), "PAYOUT-2")
    page.goto(f"{site.url}/payout/{payout['id']}")
    expect(page.get_by_role("heading", name="Para çekme işleniyor")).to_be_visible()
    operator(page, sandbox, "Reddet", nexkasa_transaction(sandbox)["id"], reason="IBAN hatalı")
    expect(page.get_by_role("heading", name="Para çekme reddedildi")).to_be_visible(timeout=DECIDED)
