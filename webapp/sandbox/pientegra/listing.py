"""The list endpoints' query and page shape (``/docs/api/list``, ``/docs/api/events``).

Documented: newest first; ``createdFrom`` inclusive, ``createdTo`` exclusive; ``status`` (and for
events ``eventType``, ``deliveryStatus``) comma-separated, an unknown value is
``validation_failed``; ``cursor`` opaque; ``limit`` 1-100, default 50; the answer is
``{"data": [...], "nextCursor": ...}``.

The sandbox's choices: times are ISO 8601 (a time without an offset is UTC); the cursor is the
position of the last item returned (base64url), so the caller repeats its filters with it;
``nextCursor`` is null on the last page. Records carry ``seq``, their creation order, which is
also their ``createdAt`` order because the sandbox clock only moves forward.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..store import Record
from .errors import invalid

DEFAULT_LIMIT, MAX_LIMIT = 50, 100
_CURSOR_PREFIX = "seq:"


@dataclass(frozen=True)
class ListQuery:
    created_from: datetime | None
    created_to: datetime | None
    before_seq: int | None
    limit: int

    def admits(self, created_at: datetime) -> bool:
        after_start = self.created_from is None or created_at >= self.created_from
        return after_start and (self.created_to is None or created_at < self.created_to)


def list_query(args: Mapping[str, str]) -> ListQuery:
    return ListQuery(
        created_from=_time(args, "createdFrom"),
        created_to=_time(args, "createdTo"),
        before_seq=_cursor(args.get("cursor")),
        limit=_limit(args.get("limit")),
    )


def choices(args: Mapping[str, str], name: str, known: Collection[str]) -> set[str] | None:
    """The comma-separated values of ``name``; None when absent (no filter)."""
    raw = args.get(name)
    if raw is None:
        return None
    values = {value.strip() for value in raw.split(",")}
    unknown = values - set(known)
    if unknown:
        raise invalid(f"{name}: unknown {', '.join(sorted(unknown))}", name)
    return values


def page(
    records: Iterable[Record],
    query: ListQuery,
    created_at: Callable[[Record], datetime],
    item: Callable[[Record], Any],
) -> dict[str, Any]:
    """``records`` in any order, already filtered by status or type; the page, newest first."""
    newest_first: Sequence[Record] = sorted(
        (
            record
            for record in records
            if query.admits(created_at(record))
            and (query.before_seq is None or record["seq"] < query.before_seq)
        ),
        key=lambda record: record["seq"],
        reverse=True,
    )
    shown = newest_first[: query.limit]
    more = len(newest_first) > query.limit
    return {
        "data": [item(record) for record in shown],
        "nextCursor": _encode_cursor(shown[-1]["seq"]) if more else None,
    }


def _time(args: Mapping[str, str], name: str) -> datetime | None:
    raw = args.get(name)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise invalid(f"{name}: an ISO 8601 time", name) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIMIT:
        raise invalid(f"limit: an integer from 1 to {MAX_LIMIT}", "limit")
    return int(raw)


def _encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{seq}".encode()).decode().rstrip("=")


def _cursor(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        decoded = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    position = decoded.removeprefix(_CURSOR_PREFIX)
    if not decoded.startswith(_CURSOR_PREFIX) or not (position.isascii() and position.isdigit()):
        raise invalid("cursor: not a cursor this API returned", "cursor")
    return int(position)
