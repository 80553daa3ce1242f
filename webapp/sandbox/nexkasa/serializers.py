"""NexKasa's request validation, answered the way its Django REST framework serializers do.

Fields, limits and the positive-amount messages follow NexKasa's serializers (public-notes
§3.2, §3.3); the other messages are DRF's defaults. Every field is checked and all errors come
back at once as ``{"field": ["message"]}`` (400). Amounts are parsed with ``Decimal`` only.

The IBAN rule ("TR ile başlayan, boşluksuz", §3.3) has no published message; the sandbox's
wording is its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, DecimalException
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

REQUIRED = "This field is required."
NOT_NULL = "This field may not be null."
NOT_BLANK = "This field may not be blank."
_NOT_A_STRING = "Not a valid string."
_NOT_A_NUMBER = "A valid number is required."
_NOT_A_URL = "Enter a valid URL."


class FieldInvalid(ValueError):
    """One field's DRF error message."""


@dataclass(frozen=True)
class CharField:
    max_length: int
    required: bool = True
    allow_blank: bool = False
    allow_null: bool = False

    def clean(self, value: Any) -> str | None:
        if value is None:
            if self.allow_null:
                return None
            raise FieldInvalid(NOT_NULL)
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise FieldInvalid(_NOT_A_STRING)
        text = str(value).strip()
        if not text and not self.allow_blank:
            raise FieldInvalid(NOT_BLANK)
        if len(text) > self.max_length:
            raise FieldInvalid(f"Ensure this field has no more than {self.max_length} characters.")
        return text


@dataclass(frozen=True)
class URLField(CharField):
    max_length: int = 2048  # Django's URLValidator limit
    required: bool = False
    allow_blank: bool = True

    def clean(self, value: Any) -> str | None:
        text = super().clean(value)
        if text and not _is_url(text):
            raise FieldInvalid(_NOT_A_URL)
        return text or None


@dataclass(frozen=True)
class DecimalField:
    max_digits: int
    decimal_places: int
    required: bool = True

    def clean(self, value: Any) -> Decimal:
        if value is None:
            raise FieldInvalid(NOT_NULL)
        if isinstance(value, bool | dict | list):
            raise FieldInvalid(_NOT_A_NUMBER)
        try:
            number = Decimal(str(value).strip())
        except DecimalException:
            raise FieldInvalid(_NOT_A_NUMBER) from None
        if not number.is_finite():
            raise FieldInvalid(_NOT_A_NUMBER)
        self._check_precision(number)
        return number.quantize(Decimal(1).scaleb(-self.decimal_places))

    def _check_precision(self, number: Decimal) -> None:
        """DRF's counting: digits as written, so "1.500" has three decimal places."""
        digits, exponent = len(number.as_tuple().digits), int(number.as_tuple().exponent)
        if exponent >= 0:
            total, places = digits + exponent, 0
        else:
            places = -exponent
            total = max(digits, places)
        whole = total - places
        if total > self.max_digits:
            raise FieldInvalid(
                f"Ensure that there are no more than {self.max_digits} digits in total."
            )
        if places > self.decimal_places:
            raise FieldInvalid(
                f"Ensure that there are no more than {self.decimal_places} decimal places."
            )
        if whole > self.max_digits - self.decimal_places:
            raise FieldInvalid(
                "Ensure that there are no more than "
                f"{self.max_digits - self.decimal_places} digits before the decimal point."
            )


Field = CharField | DecimalField
Check = Callable[[Any], None]


def _is_url(text: str) -> bool:
    """Close to Django's URLValidator: http(s)/ftp(s), a host that is localhost, an IP or a
    dotted domain with an alphabetic TLD, no whitespace."""
    if any(character.isspace() for character in text):
        return False
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https", "ftp", "ftps") or not host:
        return False
    if host == "localhost":
        return True
    try:
        ip_address(host)
    except ValueError:
        labels = host.rstrip(".").split(".")
        return len(labels) >= 2 and labels[-1].isalpha() and all(labels)
    return True


def validate(
    data: Any, fields: Mapping[str, Field], checks: Mapping[str, Check]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """``(validated, errors)``; ``checks`` are the serializer's ``validate_<field>`` methods."""
    if data is None:
        return {}, {"non_field_errors": ["No data provided"]}
    if not isinstance(data, Mapping):
        got = type(data).__name__
        return {}, {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {got}."]}
    validated: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, field in fields.items():
        if name not in data:
            if field.required:
                errors[name] = [REQUIRED]
            continue
        try:
            value = field.clean(data[name])
            if name in checks and value is not None:
                checks[name](value)
        except FieldInvalid as invalid:
            errors[name] = [str(invalid)]
        else:
            validated[name] = value
    return validated, errors


def _positive(message: str) -> Check:
    def check(amount: Decimal) -> None:
        if amount <= 0:
            raise FieldInvalid(message)

    return check


def _turkish_iban(iban: str) -> None:
    if not iban.startswith("TR"):
        raise FieldInvalid("IBAN TR ile başlamalıdır.")
    if " " in iban:
        raise FieldInvalid("IBAN boşluk içermemelidir.")


DEPOSIT_FIELDS: Mapping[str, Field] = {
    "full_name": CharField(max_length=255),
    "amount": DecimalField(max_digits=12, decimal_places=2),
    "user_id": CharField(max_length=100),
    "external_id": CharField(max_length=100, required=False, allow_blank=True, allow_null=True),
    "callback_url": URLField(),
}
DEPOSIT_CHECKS: Mapping[str, Check] = {"amount": _positive("Miktar pozitif olmalıdır.")}

WITHDRAW_FIELDS: Mapping[str, Field] = {
    "amount": DecimalField(max_digits=12, decimal_places=2),
    "customer_iban": CharField(max_length=34),
    "customer_name": CharField(max_length=255),
    "external_id": CharField(max_length=100),
    "callback_url": URLField(),
}
WITHDRAW_CHECKS: Mapping[str, Check] = {
    "amount": _positive("Amount must be positive."),
    "customer_iban": _turkish_iban,
}
