"""The sandbox's card network: which numbers exist, which bank issued them, how they answer.

Pure functions over plain values; no Flask, no store. Only the cards in ``TEST_CARDS`` are known
to the sandbox's banks: any other number is declined 10009 (Invalid Account / Card Number),
so a real card typed into the sandbox is never accepted and never stored (records keep the BIN,
the last four digits and which test card it was, not the PAN).

The document's four test cards (paytrek-api.txt "Test Kartları", CVC 000) succeed; the cards
marked with a 3-D password take "a". The others answer one code of the document's error table
each, their numbers spell the code (4000 0000 00 + code + Luhn digit). Expiry dates before the
sandbox clock's current month answer 10023 whatever the card. The document's own expiry dates
(12/20, 08/19, 12/18) are all past now: use any future date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

THREE_D_PASSWORD = "a"  # noqa: S105 - the document's public test password
"""Every 3-D Secure page of the sandbox takes this password (the document's "3D Pass")."""


@dataclass(frozen=True)
class Bank:
    issuer_id: str
    """Paytrek's ``issuer_bank_id`` / ``card_issuer`` (the document's example: "isbank")."""
    name: str
    loyalty: str | None
    installments: tuple[int, ...]


ISBANK = Bank("isbank", "İşbank", "maximum", (1,))
YKB = Bank("ykb", "Yapı Kredi", "world", (1,))
AKBANK = Bank("akbank", "Akbank", "axess", (1, 3, 6))
FINANSBANK = Bank("finansbank", "Finansbank", "cardfinans", (1, 3, 6))
SANDBOX_BANK = Bank("sandbox", "Sandbox Bank", None, (1,))


@dataclass(frozen=True)
class SandboxCard:
    number: str
    bank: Bank
    enrolled_3d: bool
    """Marked with a 3-D password in the document: the hosted page always asks for it."""
    error_code: str | None
    """None: approved; else the code the bank answers once the card is authorised."""
    note: str


TEST_CARDS: tuple[SandboxCard, ...] = (
    SandboxCard("4508034508034509", ISBANK, False, None, "Onaylanır (belgede İşbank ve ING)"),
    SandboxCard("4506347043358536", YKB, False, None, "Onaylanır"),
    SandboxCard("4355084355084358", AKBANK, True, None, "3-D şifresi a ile onaylanır"),
    SandboxCard("5456165456165454", FINANSBANK, True, None, "3-D şifresi a ile onaylanır"),
    SandboxCard("4111111111111111", SANDBOX_BANK, False, "99999", "Card Declined"),
    SandboxCard("4000000000100208", SANDBOX_BANK, False, "10020", "Insufficient Limit"),
    SandboxCard("4000000000100331", SANDBOX_BANK, False, "10033", "Wrong / Invalid Cvv"),
    SandboxCard("4000000000100232", SANDBOX_BANK, False, "10023", "Card has Expired"),
    SandboxCard("4000000000100091", SANDBOX_BANK, False, "10009", "Invalid Account / Card Number"),
    SandboxCard("4000000000100042", SANDBOX_BANK, False, "10004", "General Rejection"),
    SandboxCard("4000000000100380", SANDBOX_BANK, False, "10038", "Rejection - Invalid Card"),
    SandboxCard("4000000000200156", SANDBOX_BANK, False, "20015", "System Error"),
    SandboxCard("4000000000400061", SANDBOX_BANK, True, "40006", "Her 3-D şifresi reddedilir"),
)  # fmt: skip
_BY_NUMBER = {card.number: card for card in TEST_CARDS}
_BANKS_BY_BIN = {card.number[:6]: card.bank for card in TEST_CARDS}

UNKNOWN_CARD = "10009"  # any number not in TEST_CARDS, Luhn-valid or not
EXPIRED = "10023"
AUTHENTICATION_FAILURE = "40006"
INVALID_INSTALLMENT = "30037"

_EXPIRATION = re.compile(r"(\d{1,2})\s*/\s*(\d{2}|\d{4})")


def known_card(number: str) -> SandboxCard | None:
    """The sandbox card with this number; None for every other number (unknown to its banks)."""
    return _BY_NUMBER.get(number)


def bank_for_bin(bin_number: str) -> Bank | None:
    """The sandbox bank that issued this BIN (first six digits); None when none did."""
    return _BANKS_BY_BIN.get(bin_number)


def brand(number: str) -> str:
    return {"4": "visa", "5": "mastercard", "3": "amex"}.get(number[:1], "unknown")


def parse_expiration(text: str) -> tuple[int, int] | None:
    """``(month, four-digit year)`` from "MM/YY" (the tables) or "MM/YYYY" (the examples)."""
    match = _EXPIRATION.fullmatch(text.strip())
    if match is None:
        return None
    month, year = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        return None
    return month, four_digit_year(year)


def four_digit_year(year: int) -> int:
    return year + 2000 if year < 100 else year


def is_expired(month: int, year: int, now: datetime) -> bool:
    """A card is valid through the last day of its expiry month."""
    return (year, month) < (now.year, now.month)


def mask_number(number: str) -> str:
    """``450803******4509``: the BIN and last four, as Paytrek's charge answers show it."""
    return f"{number[:6]}{'*' * (len(number) - 10)}{number[-4:]}"


def mask_holder(name: str) -> str:
    """``J********``: the first letter and eight stars, as Paytrek's examples show any name."""
    return f"{name[:1]}********"
