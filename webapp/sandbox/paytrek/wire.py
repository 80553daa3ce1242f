"""Paytrek's wire format: JSON in (Decimal, never float), JSON out, amounts, times, return URLs.

Amounts leave in the two shapes the document shows: sale objects, charges and captures write
them as two-place strings (``"amount": "24.00"``, ``"refunded_amount": "0.00"``); cancel and
refund answers as JSON numbers (``"sale_amount": 24.72``), which the sandbox writes from the
Decimal as a two-place literal (``24.72``, ``9.70``) through simplejson, never through float.
Times are UTC ISO 8601 with microseconds and ``Z`` (``2018-03-14T07:58:39.519707Z``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import simplejson
from flask import Response

CENTS = Decimal("0.01")


def _reject_constant(name: str) -> None:
    raise ValueError(f"not a JSON number: {name}")


def parse_json(body: bytes) -> Any:
    """The request body; ValueError when it is not JSON. Fractions become Decimal."""
    return json.loads(body, parse_float=Decimal, parse_constant=_reject_constant)


def json_response(body: Any, status: int = 200) -> Response:
    text = simplejson.dumps(body, use_decimal=True, ensure_ascii=False)
    return Response(text, status=status, mimetype="application/json")


def money_text(amount: Decimal) -> str:
    """``"24.00"``: how sale objects, charges and captures write amounts."""
    return str(amount.quantize(CENTS))


def money_number(amount: Decimal) -> Decimal:
    """``24.00`` as a JSON number: how cancel and refund answers write amounts."""
    return amount.quantize(CENTS)


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sys_time(moment: datetime) -> int:
    return int(moment.timestamp())


def with_token(return_url: str | None, sale_token: str) -> str:
    """``return_url`` plus ``token=<sale_token>`` in its query (kept if it already has one).

    Without a return_url this is ``?token=...``, exactly what the document's charge answers show.
    """
    parts = urlsplit(return_url or "")
    query = f"{parts.query}&token={sale_token}" if parts.query else f"token={sale_token}"
    return urlunsplit(parts._replace(query=query))
