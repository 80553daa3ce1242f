"""JSON on the wire with money kept exact: Decimal out as a number literal, Decimal back in.

Trust boundary: ``decode_json`` takes untrusted provider bytes and never raises on them;
``all_storable`` says whether what was parsed from them can reach our database at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import simplejson


def encode_json(value: Any) -> bytes:
    """The exact bytes we send: Decimal as a JSON number literal (``12.50``), never a float."""
    return simplejson.dumps(value, use_decimal=True, separators=(",", ":")).encode("utf-8")


def decode_json(body: bytes) -> Any:
    """The body parsed with Decimal for fractions; None when empty or not JSON."""
    if not body.strip():
        return None
    try:
        return simplejson.loads(body.decode("utf-8"), use_decimal=True)
    except (ValueError, RecursionError):  # bad UTF-8, not JSON, or nested absurdly deep
        return None


def all_storable(value: Any) -> bool:
    """Every string in a parsed JSON value (keys included) holds no NUL and no unpaired surrogate.

    JSON can spell both (``"\\u0000"``, ``"\\ud800"``); PostgreSQL text cannot hold a NUL and no
    UTF-8 column takes a lone surrogate, so such a string fails the query that stores or even
    looks it up. No provider sends one on purpose. Walked without recursion: the parser accepts
    nesting deeper than the stack a request has left.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item or not _utf8(item):
                return False
        elif isinstance(item, Mapping):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
