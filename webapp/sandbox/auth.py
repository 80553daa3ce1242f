"""Credential checks in each style the simulated providers document.

Each reader takes the request headers and returns what the caller presented (or None); the
provider view decides what a missing or wrong credential means in its own error shape.
``matches`` compares in constant time so the simulator does not teach timing-unsafe habits.

- NexKasa: ``X-API-KEY: <key>``
- Paytrek, Pientegra: ``Authorization: Basic base64(user:password)`` or ``Bearer <token>``
- Paynet: ``Authorization: Basic <secret key>`` (the raw key, not base64 of user:password)
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping


def matches(presented: str | None, expected: str) -> bool:
    """Constant-time equality; ``None`` (nothing presented) never matches."""
    if presented is None:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())


def api_key(headers: Mapping[str, str], header: str = "X-API-KEY") -> str | None:
    return headers.get(header) or None


def _authorization(headers: Mapping[str, str], scheme: str) -> str | None:
    found, _, value = headers.get("Authorization", "").partition(" ")
    if found.lower() != scheme.lower() or not value.strip():
        return None
    return value.strip()


def bearer_token(headers: Mapping[str, str]) -> str | None:
    return _authorization(headers, "Bearer")


def raw_basic_key(headers: Mapping[str, str]) -> str | None:
    """Paynet's style: the secret key itself after ``Basic ``."""
    return _authorization(headers, "Basic")


def basic_credentials(headers: Mapping[str, str]) -> tuple[str, str] | None:
    """``(user, password)`` from RFC 7617 Basic auth, or None when absent or malformed."""
    encoded = _authorization(headers, "Basic")
    if encoded is None:
        return None
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else None


def basic_matches(headers: Mapping[str, str], user: str, password: str) -> bool:
    """Both parts compared in constant time, whichever is wrong."""
    presented = basic_credentials(headers)
    if presented is None:
        return False
    user_ok = matches(presented[0], user)
    password_ok = matches(presented[1], password)
    return user_ok and password_ok
