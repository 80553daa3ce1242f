"""Installment options by BIN, shaped like paytrek-api.txt "Taksitler".

The sandbox's banks: Akbank and Finansbank offer 1, 3 and 6 installments, the others a single
payment; a BIN no sandbox bank issued gets one entry with the issuer unknown and one payment.
Without ``bin_number`` every sandbox bank is listed. Commission rates are the sandbox's own
(1: 0 %, 3: 2.5 %, 6: 4.5 %), applied as the document's example adds them up:
``total_amount = amount + commission``, ``total_amount_wo_commission = amount - commission``,
``instalment_amounts = total_amount / number``, each rounded half up to the cent.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from . import cards

COMMISSION_RATES = {1: Decimal("0"), 3: Decimal("0.025"), 6: Decimal("0.045")}
_CENT = Decimal("0.01")


def _cents(value: Decimal) -> str:
    return str(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def _option(number: int, amount: Decimal) -> dict[str, Any]:
    commission = (amount * COMMISSION_RATES[number]).quantize(_CENT, rounding=ROUND_HALF_UP)
    total = amount + commission
    return {
        "number": number,
        "commission": _cents(commission),
        "instalment_amounts": _cents(total / number),
        "total_amount": _cents(total),
        "total_amount_wo_commission": _cents(amount - commission),
    }


def _bank_entry(bin_number: str, amount: Decimal) -> dict[str, Any]:
    bank = cards.bank_for_bin(bin_number)
    return {
        "card_brand": cards.brand(bin_number),
        "card_type": "credit",
        "card_issuer": bank.issuer_id if bank else None,
        "card_country": "TR" if bank else None,
        "loyalty": bank.loyalty if bank else None,
        "is_commercial": False,
        "installments": [_option(n, amount) for n in (bank.installments if bank else (1,))],
    }


def options(bin_number: str | None, amount: Decimal) -> list[dict[str, Any]]:
    """The ``banks`` list: the BIN's bank, or every sandbox bank when no BIN is given."""
    if bin_number is not None:
        return [_bank_entry(bin_number, amount)]
    first_bin_of_bank: dict[cards.Bank, str] = {}
    for card in cards.TEST_CARDS:
        first_bin_of_bank.setdefault(card.bank, card.number[:6])
    return [_bank_entry(first_bin, amount) for first_bin in first_bin_of_bank.values()]
