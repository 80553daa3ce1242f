"""Signed links a merchant builds without calling us, and the signed results we send back.

Canonical form (documented in README, with Python, PHP and JavaScript examples): every
parameter except ``signature``, sorted by name, each written ``name=value`` with the value
percent-encoded as RFC 3986 (unreserved characters ``A-Z a-z 0-9 - _ . ~`` kept, everything else
as %XX of its UTF-8 bytes, space as %20), joined with ``&``. The signature is the lowercase hex
HMAC-SHA256 of ``<purpose> + "\\n" + canonical`` under the merchant's link secret. The purpose
("checkout", "payout", "result") keeps a signature for one use from being replayed as another.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote

CHECKOUT = "checkout"
PAYOUT = "payout"
RESULT = "result"


class LinkError(ValueError):
    """A link that was tampered with, malformed or signed by someone else."""


def expiry(text: str) -> datetime:
    """A link's ``expires``: unix seconds in ASCII digits. Eleven digits reach the year 5138,
    and every such value is a date Python can hold."""
    if not re.fullmatch(r"[0-9]{1,11}", text):
        raise LinkError("expires: unix seconds expected")
    return datetime.fromtimestamp(int(text), UTC)


def canonical(params: Mapping[str, str]) -> str:
    return "&".join(
        f"{quote(name, safe='-_.~')}={quote(value, safe='-_.~')}"
        for name, value in sorted(params.items())
        if name != "signature"
    )


def sign(params: Mapping[str, str], secret: str, purpose: str) -> str:
    message = f"{purpose}\n{canonical(params)}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_query(params: Mapping[str, str], secret: str, purpose: str) -> str:
    return f"{canonical(params)}&signature={sign(params, secret, purpose)}"


def parse_query(query_string: str) -> dict[str, str]:
    """Parameters of a query string; a repeated name is refused (it could hide a second value)."""
    pairs = parse_qsl(query_string, keep_blank_values=True, strict_parsing=False)
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise LinkError(f"parameter {name!r} given twice")
        params[name] = value
    return params


def verify(params: Mapping[str, str], secret: str, purpose: str) -> None:
    presented = params.get("signature", "")
    expected = sign(params, secret, purpose)
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise LinkError("signature does not match")
