"""JSON on the wire with money kept exact: Decimal out as a number literal, Decimal back in.

Trust boundary: ``decode_json`` takes untrusted provider bytes and never raises on them.
"""

from __future__ import annotations

from typing import Any

import simplejson

from webapp.storable import all_storable


def encode_json(value: Any) -> bytes:
    """The exact bytes we send: Decimal as a JSON number literal (``12.50``), never a float."""
    return simplejson.dumps(value, use_decimal=True, separators=(",", ":")).encode("utf-8")


def decode_json(body: bytes) -> Any:
    """The body parsed with Decimal for fractions; None when empty, not JSON, or holding text no
    database of ours can store (a NUL, an unpaired surrogate): callers then treat the answer as
    unreadable instead of failing later on a query that carries it."""
    if not body.strip():
        return None
    try:
        data = simplejson.loads(body.decode("utf-8"), use_decimal=True)
    except (ValueError, RecursionError):  # bad UTF-8, not JSON, or nested absurdly deep
        return None
    return data if all_storable(data) else None
