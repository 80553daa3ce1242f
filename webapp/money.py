"""Money as an exact ``Decimal`` plus a currency, and every provider's amount wire format.

The database stores integer minor units (kuruş, cents); everything else handles ``Money``. How
each provider spells an amount on the wire lives here and nowhere else, so a change in a
provider's format is a change to one pair of functions.

Trust boundary: amounts from merchants, customers and providers are untrusted. Text must match
a strict grammar, numbers must be ``Decimal`` or ``int``, and a ``float`` is refused everywhere
with ``TypeError``: it has already lost the exact value we would need. Nothing is ever rounded;
an amount that does not fit its currency exactly raises ``MoneyError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Context, Decimal
from functools import total_ordering
from types import MappingProxyType
from typing import Final

CURRENCIES: Final = MappingProxyType({"TRY": 2, "USD": 2, "EUR": 2})
"""Supported ISO 4217 codes and their exponent (decimal places of the minor unit)."""

# Every Money must fit the signed 64-bit minor-unit column (BIGINT).
MAX_MINOR: Final = 2**63 - 1

# Our own context: precision for 19 digits plus decimals, immune to changes of the global one.
_CTX: Final = Context(prec=40)

# ASCII digits only: ``\d`` and ``Decimal()`` also accept other scripts' digits. No sign, no
# exponent, no separators; and at most the currency's decimals, checked after matching, so the
# Turkish thousands form "1.500" is refused instead of read as 1.50.
_DECIMAL_TEXT: Final = re.compile(r"[0-9]+(?:\.([0-9]+))?")
_MINOR_TEXT: Final = re.compile(r"[0-9]{1,19}")
# A Turkish-typed amount: "1.500,00" or "150,5" (the comma is required, or "1.500" is ambiguous).
_TURKISH_TEXT: Final = re.compile(r"(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+),[0-9]{1,2}")

WireAmount = Decimal | int | str


class MoneyError(ValueError):
    """An amount or currency that we refuse to handle; the message is safe to show a merchant."""


def plain_amount_text(text: str) -> str:
    """A typed amount in ``parse``'s plain form: the Turkish ``"1.500,00"``/``"150,5"`` (a
    decimal comma, dots only between thousands) becomes ``"1500.00"``/``"150.5"``; anything else
    is only stripped and left for ``parse`` to judge."""
    text = text.strip()
    if _TURKISH_TEXT.fullmatch(text):
        return text.replace(".", "").replace(",", ".")
    return text


def _exponent(currency: object) -> int:
    if not isinstance(currency, str) or currency not in CURRENCIES:
        raise MoneyError(f"unsupported currency {currency!r:.12}; we take {', '.join(CURRENCIES)}")
    return CURRENCIES[currency]


def _refuse_non_numbers(value: object) -> None:
    # bool is an int subclass, and True is never an amount.
    if isinstance(value, float | bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"amounts are Decimal or int, not {type(value).__name__}")


@total_ordering
@dataclass(frozen=True)
class Money:
    """An exact amount in major units; negative only as the result of arithmetic.

    ``Money(Decimal("10.5"), "TRY")`` is stored as ``Decimal("10.50")`` so equal amounts print
    alike. An ``int`` amount means major units (``Money(15, "TRY")`` is 15.00 TRY); use
    ``from_minor`` for kuruş.
    """

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        exponent = _exponent(self.currency)
        _refuse_non_numbers(self.amount)
        amount = Decimal(self.amount)
        if not amount.is_finite():
            raise MoneyError(f"not a finite amount: {amount}")
        if abs(amount) > Decimal(MAX_MINOR).scaleb(-exponent, _CTX):
            raise MoneyError(f"amount out of range: {amount}")
        exact = amount.quantize(Decimal(1).scaleb(-exponent), context=_CTX)
        # Trailing zeros are harmless; a non-zero digit past the exponent would need rounding.
        if exact != amount:
            raise MoneyError(f"{self.currency} takes at most {exponent} decimals")
        object.__setattr__(self, "amount", exact.copy_abs() if exact.is_zero() else exact)

    @classmethod
    def parse(cls, text: str, currency: str) -> Money:
        """Read a plain decimal like ``"1500"`` or ``"1500.50"`` from untrusted text.

        Refused: signs (a typed amount is never negative; a leading "-" or "+" is more likely a
        mistake than intent), exponents, NaN/Infinity, spaces, "," and more decimals than the
        currency has. Zero is accepted; callers that need a positive amount check ``is_positive``.
        """
        if not isinstance(text, str):
            raise TypeError(f"parse takes text, not {type(text).__name__}")
        exponent = _exponent(currency)
        match = _DECIMAL_TEXT.fullmatch(text)
        if match is None:
            raise MoneyError(f"not an amount: {text[:32]!r}")
        if match[1] is not None and len(match[1]) > exponent:
            raise MoneyError(f"{currency} takes at most {exponent} decimals")
        return cls(Decimal(text), currency)

    @classmethod
    def parse_typed(cls, text: str, currency: str) -> Money:
        """What a person typed into a form: ``parse`` after ``plain_amount_text``."""
        return cls.parse(plain_amount_text(text), currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        """Build from integer minor units, as stored in the database."""
        if isinstance(minor, bool) or not isinstance(minor, int):
            raise TypeError(f"minor units are int, not {type(minor).__name__}")
        return cls(Decimal(minor).scaleb(-_exponent(currency), _CTX), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @property
    def minor(self) -> int:
        return int(self.amount.scaleb(CURRENCIES[self.currency], _CTX))

    @property
    def is_positive(self) -> bool:
        return self.amount > 0

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(f"cannot mix {self.currency} and {other.currency}")

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return Money(_CTX.add(self.amount, other.amount), self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return Money(_CTX.subtract(self.amount, other.amount), self.currency)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount < other.amount


# --- Provider wire formats --------------------------------------------------------------------
# Outgoing: every provider refuses zero and negative amounts, so we refuse them first.
# Incoming: never negative; zero is allowed (e.g. a refunded amount of 0.00).


def _outgoing(money: Money, provider: str, *, try_only: bool = False) -> None:
    if not isinstance(money, Money):
        raise TypeError(f"{provider} amounts are Money, not {type(money).__name__}")
    if not money.is_positive:
        raise MoneyError(f"{provider} takes only positive amounts, got {money.amount}")
    if try_only and money.currency != "TRY":
        raise MoneyError(f"{provider} takes only TRY, got {money.currency}")


def _two_places(money: Money) -> Decimal:
    exact = money.amount.quantize(Decimal("0.01"), context=_CTX)
    if exact != money.amount:
        raise MoneyError(f"{money.currency} does not fit two decimals")
    return exact


def _incoming_major(value: WireAmount, currency: str) -> Money:
    """A major-unit amount as a provider sends it: text, or a JSON number parsed as Decimal."""
    if isinstance(value, str):
        return Money.parse(value, currency)
    _refuse_non_numbers(value)
    money = Money(Decimal(value), currency)
    if money.amount < 0:
        raise MoneyError(f"negative amount from provider: {money.amount}")
    return money


def paytrek_amount(money: Money) -> Decimal:
    """Paytrek §4.3: ``amount`` is a JSON number in major units with two decimals.

    Returned as ``Decimal`` for simplejson to write as the literal ``12.50``; never via float.
    """
    _outgoing(money, "Paytrek")
    return _two_places(money)


def paytrek_amount_from_wire(value: WireAmount, currency: str) -> Money:
    """Paytrek §4.3: JSON number; the response must be parsed with ``parse_float=Decimal``."""
    return _incoming_major(value, currency)


def pientegra_amount(money: Money) -> str:
    """Pientegra §2.1, §2.3: minor units, TRY only, 100 to 100_000_000 inclusive.

    A JSON string (``"250000"``): withdrawals take only that (§2.4), deposits a string or a
    number (§2.3), so both bodies use the one form.
    """
    _outgoing(money, "Pientegra", try_only=True)
    if money.minor < 100:
        raise MoneyError(f"amount_below_min: Pientegra takes at least 1.00 TRY, got {money.amount}")
    if money.minor > 100_000_000:
        raise MoneyError(
            f"amount_above_max: Pientegra takes at most 1000000.00 TRY, got {money.amount}"
        )
    return str(money.minor)


def pientegra_amount_from_wire(value: str | int, currency: str = "TRY") -> Money:
    """Pientegra §2.1: amounts come back as strings of minor units, e.g. ``"100000"``."""
    if isinstance(value, str):
        if _MINOR_TEXT.fullmatch(value) is None:
            raise MoneyError(f"not a Pientegra minor-unit amount: {value[:32]!r}")
        value = int(value)
    elif isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"Pientegra amounts are str or int, not {type(value).__name__}")
    if value < 0:
        raise MoneyError(f"negative amount from Pientegra: {value}")
    return Money.from_minor(value, currency)


def nexkasa_amount(money: Money) -> str:
    """NexKasa §3.2: ``"1500.00"``, major units, max_digits=12 with decimal_places=2.

    TRY only: the deposit and withdraw bodies carry no currency, so any amount is read as TRY.
    """
    _outgoing(money, "NexKasa", try_only=True)
    amount = _two_places(money)
    if amount >= 10**10:
        raise MoneyError(f"NexKasa takes at most 9999999999.99, got {amount}")
    return f"{amount:f}"


def nexkasa_amount_from_wire(value: WireAmount, currency: str = "TRY") -> Money:
    """NexKasa §3.5: the unsigned callback sends a string, the signed one a JSON number.

    The signed body is ``json.dumps`` of a float (e.g. ``1500.0``); parsed with
    ``parse_float=Decimal`` it arrives here exact, since NexKasa keeps 2 decimals.
    """
    return _incoming_major(value, currency)


def paynet_amount(money: Money) -> Decimal:
    """Paynet §1.2: ``amount`` is a decimal in major units.

    TRY only: mailorder/create has no currency field, so any amount is read as TRY.
    """
    _outgoing(money, "Paynet", try_only=True)
    return _two_places(money)


def paynet_amount_from_wire(value: WireAmount, currency: str = "TRY") -> Money:
    """Paynet §1.4, §1.5: ``amount`` is a decimal in major units; JSON parsed as Decimal."""
    return _incoming_major(value, currency)
