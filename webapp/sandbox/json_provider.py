"""JSON as the simulated providers write it: keys in the order built, UTF-8 text as is.

Flask's default sorts keys, escapes non-ASCII and writes datetimes as RFC 822 dates; Django
REST framework (NexKasa) keeps insertion order and raw UTF-8, and the sandbox's own records
show times in ISO 8601. Decimals are written as strings, never through float.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from flask.json.provider import DefaultJSONProvider


class SandboxJSONProvider(DefaultJSONProvider):
    sort_keys = False
    ensure_ascii = False

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, datetime):
            return o.isoformat()
        if isinstance(o, Decimal):
            return str(o)
        return DefaultJSONProvider.default(o)
