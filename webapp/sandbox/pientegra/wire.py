"""Pientegra's wire format: reading request bodies, writing amounts, times and ids.

Documented (public-notes §2.1-§2.4): JSON in UTF-8; amounts in minor units, always answered as
strings ("100000"), accepted as string or number in deposits (§2.3) and only as a string in
withdrawals (§2.4: ``"250000"``, a JSON number is ``validation_failed``); currency TRY, the
default and the only one; deposits of 100 to 100_000_000 minor units (``amount_below_min`` /
``amount_above_max``); ``externalUserLabel`` at most 128 characters; times like
``2026-04-28T12:30:00.000Z``; ids like ``01927b3c-…`` (UUID v7, from the sandbox clock here).

The sandbox's choices where the documents are silent: an amount is a string of digits or, in a
deposit, an integer (``"100.50"`` or ``100.5`` is ``validation_failed``); withdrawals share
the deposit range; other strings are at most 255 characters; ``targetIban`` is a Turkish IBAN
written without spaces (``TR`` + 24 digits, ISO 13616 mod-97 check). The first invalid field
answers.

Trust boundary: everything read here is caller input.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import request

from .errors import ApiError, invalid

CURRENCY = "TRY"
MIN_AMOUNT, MAX_AMOUNT = 100, 100_000_000
LABEL_MAX = 128
TEXT_MAX = 255
_DIGITS = re.compile(r"-?[0-9]+")
_TURKISH_IBAN = re.compile(r"TR[0-9]{24}")


def json_object() -> dict[str, Any]:
    """The request body: a JSON object sent as ``application/json``."""
    if request.mimetype != "application/json":
        raise invalid("send JSON with Content-Type: application/json")
    try:
        data = json.loads(request.get_data() or b"null")
    except ValueError:
        raise invalid("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise invalid("the body must be a JSON object")
    return data


def text(
    data: Mapping[str, Any], field: str, required: bool = True, max_length: int = TEXT_MAX
) -> str | None:
    value = data.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"{field}: a non-empty string", field)
    if len(value) > max_length:
        raise invalid(f"{field}: at most {max_length} characters", field)
    return value


def minor_units(value: Any, field: str, *, text_only: bool = False) -> int:
    """Kuruş from a string of digits or, unless ``text_only`` (withdrawals), a JSON integer."""
    if isinstance(value, int) and not isinstance(value, bool) and not text_only:
        return value
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return int(value)
    kind = "a string of" if text_only else "an integer amount in"
    raise invalid(f"{field}: {kind} minor units", field)


def amount(data: Mapping[str, Any], field: str = "amount", *, text_only: bool = False) -> int:
    if data.get(field) is None:
        raise invalid(f"{field}: required", field)
    units = minor_units(data[field], field, text_only=text_only)
    if units < MIN_AMOUNT:
        raise ApiError(400, "amount_below_min", f"{field}: at least {MIN_AMOUNT}", {"min": "100"})
    if units > MAX_AMOUNT:
        raise ApiError(
            400, "amount_above_max", f"{field}: at most {MAX_AMOUNT}", {"max": str(MAX_AMOUNT)}
        )
    return units


def currency(data: Mapping[str, Any]) -> str:
    value = data.get("currency", CURRENCY)
    if value != CURRENCY:
        raise invalid(f"currency: only {CURRENCY}", "currency")
    return CURRENCY


def turkish_iban(data: Mapping[str, Any], field: str) -> str:
    value = str(text(data, field))
    if not _TURKISH_IBAN.fullmatch(value) or not _mod97_valid(value):
        raise invalid(f"{field}: a Turkish IBAN (TR and 24 digits, no spaces)", field)
    return value


def _mod97_valid(iban: str) -> bool:
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(character, 36)) for character in rearranged)) % 97 == 1


def lira(units: int) -> str:
    """For people (hosted and operator pages), in Turkish format: 100050 -> ₺1.000,50."""
    whole, kurus = divmod(units, 100)
    return f"₺{whole:,}".replace(",", ".") + f",{kurus:02d}"


def timestamp(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds and ``Z``, as the documents' examples write times."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def unix_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def uuid7(moment: datetime) -> str:
    """RFC 9562 UUID v7: 48 bits of Unix milliseconds, then random bits."""
    value = unix_ms(moment) << 80 | int.from_bytes(secrets.token_bytes(10), "big")
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # RFC variant
    return str(uuid.UUID(int=value))
