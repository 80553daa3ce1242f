"""Text both our databases can store: no NUL, no unpaired UTF-16 surrogate.

PostgreSQL text cannot hold a NUL, and no UTF-8 column takes a lone surrogate (JSON can spell
both: ``"\\u0000"``, ``"\\ud800"``), so such a string fails the query that stores or even looks
it up. Real input never holds one; callers refuse it at their edge (``webapp.input_guard`` for
requests, the provider parsers for bodies they must keep).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def all_storable(value: Any) -> bool:
    """Every string in a parsed JSON value (keys included) is ``storable``. Walked without
    recursion: a parser accepts nesting deeper than the stack a request has left."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not storable(item):
                return False
        elif isinstance(item, Mapping):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True
