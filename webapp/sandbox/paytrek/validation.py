"""Request fields as Paytrek's tables define them, checked the way its DRF serializers answer.

Every field is checked and all problems come back at once as ``{"field": ["message"]}`` inside
Paytrek's envelope (error 30009, see ``codes``); messages are Django REST framework's defaults.
Amounts are Decimal only: a JSON number arrives parsed as Decimal, a string is read as Decimal.
The sandbox's own limits (currencies TRY/USD/EUR, installment 1-12, lengths) are its choice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, DecimalException
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

from . import cards
from .codes import INCOMPATIBLE_DATA, Refusal

REQUIRED = "This field is required."
CURRENCIES = ("TRY", "USD", "EUR")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


class FieldInvalid(ValueError):
    """One field's message (or, for ``items``, the per-item error list)."""

    def __init__(self, detail: Any) -> None:
        super().__init__(detail)
        self.detail = detail


Cleaner = Callable[[Any], Any]


@dataclass(frozen=True)
class Field:
    clean: Cleaner
    required: bool = False
    default: Any = None


def text(max_length: int = 255, allow_blank: bool = False) -> Cleaner:
    def clean(value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise FieldInvalid("Not a valid string.")
        stripped = str(value).strip()
        if not stripped and not allow_blank:
            raise FieldInvalid("This field may not be blank.")
        if len(stripped) > max_length:
            raise FieldInvalid(f"Ensure this field has no more than {max_length} characters.")
        return stripped

    return clean


def optional_text(value: Any) -> str | None:
    return None if value is None else text(allow_blank=True)(value) or None


def amount(value: Any) -> Decimal:
    """Greater than zero with at most two decimal places (number or numeric string)."""
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise FieldInvalid("A valid number is required.")
    try:
        number = Decimal(str(value).strip())
    except DecimalException:
        raise FieldInvalid("A valid number is required.") from None
    if not number.is_finite():
        raise FieldInvalid("A valid number is required.")
    if -int(number.as_tuple().exponent) > 2:
        raise FieldInvalid("Ensure that there are no more than 2 decimal places.")
    if number <= 0:
        raise FieldInvalid("Ensure this value is greater than 0.")
    return number.quantize(Decimal("0.01"))


def integer(minimum: int, maximum: int) -> Cleaner:
    def clean(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise FieldInvalid("A valid integer is required.")
        try:
            number = int(str(value).strip())
        except ValueError:
            raise FieldInvalid("A valid integer is required.") from None
        if not minimum <= number <= maximum:
            raise FieldInvalid(f"Ensure this value is between {minimum} and {maximum}.")
        return number

    return clean


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise FieldInvalid("Must be a valid boolean.")


def optional_boolean(value: Any) -> bool | None:
    return None if value is None else boolean(value)


def currency(value: Any) -> str:
    code = text(max_length=3)(value)
    if code not in CURRENCIES:
        raise FieldInvalid(f'"{code}" is not a valid choice.')
    return code


def country(value: Any) -> str:
    code = text(max_length=2)(value)
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise FieldInvalid("Enter a 2-letter ISO 3166 country code.")
    return code


def email(value: Any) -> str:
    address = text()(value)
    if not _EMAIL.fullmatch(address):
        raise FieldInvalid("Enter a valid email address.")
    return address


def ip(value: Any) -> str:
    try:
        return str(ip_address(text(max_length=45)(value)))
    except ValueError:
        raise FieldInvalid("Enter a valid IPv4 or IPv6 address.") from None


def url(value: Any) -> str | None:
    address = optional_text(value)
    if address is None:
        return None
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FieldInvalid("Enter a valid URL.")
    return address


def json_object(value: Any) -> dict[str, Any] | None:
    if value is not None and not isinstance(value, dict):
        raise FieldInvalid("Expected a dictionary of items.")
    return value


def card_number(value: Any) -> str:
    """12-19 digits (a JSON number is accepted, as the table types it "number")."""
    digits = text(max_length=19)(value).replace(" ", "")
    if not re.fullmatch(r"\d{12,19}", digits):
        raise FieldInvalid("Enter a valid card number.")
    return digits


def expiration(value: Any) -> tuple[int, int]:
    parsed = cards.parse_expiration(text(max_length=7)(value))
    if parsed is None:
        raise FieldInvalid("Enter the expiration as MM/YY or MM/YYYY.")
    return parsed


def cvc(value: Any) -> str:
    code = text(max_length=4)(value)
    if not re.fullmatch(r"\d{3,4}", code):
        raise FieldInvalid("Enter a valid CVC.")
    return code


ITEM_FIELDS: Mapping[str, Field] = {
    "name": Field(text(), required=True),
    "photo": Field(url),
    "quantity": Field(integer(1, 10_000), required=True),
    "unit_price": Field(amount, required=True),
}


def items(value: Any) -> list[dict[str, Any]]:
    """A list (the table says required; an empty list is allowed, as DRF's ListSerializer does)."""
    if not isinstance(value, list):
        raise FieldInvalid(f'Expected a list of items but got type "{type(value).__name__}".')
    cleaned, problems = [], []
    for item in value:
        if not isinstance(item, dict):
            cleaned.append({})
            problems.append({"non_field_errors": ["Invalid data. Expected a dictionary."]})
            continue
        item_data, item_errors = _check(item, ITEM_FIELDS)
        cleaned.append(item_data)
        problems.append(item_errors)
    if any(problems):
        raise FieldInvalid(problems)
    return cleaned


SALE_FIELDS: Mapping[str, Field] = {
    "currency": Field(currency, required=True),
    "order_id": Field(text(max_length=64), required=True),
    "amount": Field(amount, required=True),
    "customer_first_name": Field(text(), required=True),
    "customer_last_name": Field(text(), required=True),
    "customer_email": Field(email, required=True),
    "customer_ip_address": Field(ip, required=True),
    "billing_address": Field(text(), required=True),
    "billing_city": Field(text(), required=True),
    "billing_country": Field(country, required=True),
    "billing_state": Field(optional_text),
    "billing_zipcode": Field(optional_text),
    "billing_phone": Field(optional_text),
    "items": Field(items, required=True),
    "return_url": Field(url),
    "cancel_url": Field(url),
    "hosted_payment": Field(boolean, default=True),
    "installment": Field(integer(1, 12), default=1),
    "secure_option": Field(boolean, default=False),
    "half_secure": Field(optional_boolean),
    "pre_auth": Field(boolean, default=False),
    "sale_data": Field(json_object),
    "language_code": Field(text(max_length=10), default="en-us"),
}

CARD_FIELDS: Mapping[str, Field] = {
    "number": Field(card_number, required=True),
    "expiration": Field(expiration, required=True),
    "cvc": Field(cvc, required=True),
    "card_holder_name": Field(text(allow_blank=True), default=""),
}

CHARGE_FIELDS: Mapping[str, Field] = {
    "sale_token": Field(text(max_length=64), required=True),
    **CARD_FIELDS,
    "save_card": Field(boolean, default=True),
}

DIRECT_CHARGE_FIELDS: Mapping[str, Field] = {
    **SALE_FIELDS,
    **CARD_FIELDS,
    "save_card": Field(boolean, default=False),
}

VAULT_FIELDS: Mapping[str, Field] = {
    **CARD_FIELDS,
    "card_holder_name": Field(text(), required=True),
    "card_label": Field(text(allow_blank=True), default=""),
    "card_user_id": Field(optional_text),
}

CHARGE_WITH_TOKEN_FIELDS: Mapping[str, Field] = {
    "sale_token": Field(text(max_length=64), required=True),
    "card_token": Field(text(max_length=64), required=True),
}

SALE_ACTION_FIELDS: Mapping[str, Field] = {
    "sale_token": Field(text(max_length=64), required=True),
    "comments": Field(optional_text),
}

REFUND_FIELDS: Mapping[str, Field] = {**SALE_ACTION_FIELDS, "amount": Field(amount)}


def bin_number(value: Any) -> str:
    digits = text(max_length=6)(value)
    if not re.fullmatch(r"\d{6}", digits):
        raise FieldInvalid("Enter the first 6 digits of the card.")
    return digits


INSTALLMENTS_FIELDS: Mapping[str, Field] = {
    "bin_number": Field(bin_number),
    "amount": Field(amount, required=True),
}


def _check(data: Mapping[str, Any], fields: Mapping[str, Field]) -> tuple[dict[str, Any], dict]:
    cleaned: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    for name, field in fields.items():
        value = data.get(name)
        if value is None:
            if field.required:
                errors[name] = [REQUIRED]
            else:
                cleaned[name] = field.default
            continue
        try:
            cleaned[name] = field.clean(value)
        except FieldInvalid as invalid:
            errors[name] = invalid.detail if isinstance(invalid.detail, list) else [invalid.detail]
    return cleaned, errors


def validated(data: Any, fields: Mapping[str, Field]) -> dict[str, Any]:
    """The cleaned fields (unknown ones dropped), or a 400 Refusal naming every bad field."""
    if not isinstance(data, dict):
        raise Refusal(400, INCOMPATIBLE_DATA, {"non_field_errors": ["Expected a JSON object."]})
    cleaned, errors = _check(data, fields)
    if errors:
        raise Refusal(400, INCOMPATIBLE_DATA, errors)
    return cleaned
