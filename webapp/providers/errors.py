"""The exceptions every provider client raises, shaped by what the caller does next.

::

    ProviderError            provider, http_status, code, merchant_message, customer_message
    ├── ProviderUnavailable  connection error, timeout, 5xx: retry only if idempotent;
    │                        outcome_unknown says whether the provider may have acted on it
    ├── ProviderRateLimited  429: retry_after (a timedelta, or None when the provider gave none)
    ├── ProviderAuthError    401/403 bad credentials: alert staff, never retry
    └── ProviderRejected     other 4xx, with the provider's own code

``ProviderError`` itself is raised only for answers that fit no branch (a 3xx: the HTTP layer never
follows redirects, so credentials never travel to another host). ``error_from_response`` is the one
function that turns a non-2xx response into one of these; a provider's ``error_mapper`` calls it
with the code and messages it found in its own body format.

Trust boundary: ``code`` and both messages come from the provider's response body and are
untrusted text. ``merchant_message`` is for staff and merchants; ``customer_message`` is what the
provider says may be shown to the paying customer (None when it said nothing: the caller shows a
generic, translated text). ``str()`` names provider, status, code and merchant message, passed
through ``redact()``: it never carries credentials, card numbers or full IBANs.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from webapp.providers._json import decode_json
from webapp.providers._redact import redact

if TYPE_CHECKING:
    import requests

_MAX_RETRY_AFTER = 10**9  # seconds; anything longer is "not in this request's lifetime"


class ProviderError(Exception):
    """A provider call failed; subclasses say what to do about it."""

    def __init__(
        self,
        provider: str,
        *,
        http_status: int | None = None,
        code: str | None = None,
        merchant_message: str | None = None,
        customer_message: str | None = None,
    ) -> None:
        super().__init__(provider)
        self.provider = provider
        self.http_status = http_status
        self.code = code
        self.merchant_message = merchant_message
        self.customer_message = customer_message

    def __str__(self) -> str:
        parts = [self.provider]
        if self.http_status is not None:
            parts.append(f"HTTP {self.http_status}")
        if self.code:
            parts.append(f"[{self.code}]")
        if self.merchant_message:
            parts.append(self.merchant_message)
        parts.extend(self._details())
        return redact(" ".join(parts))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only fields would be lost by Exception's default pickling (args only); a task
        # queue that hands these between processes needs them whole.
        return (_rebuild, (type(self), self.__dict__.copy()))

    def _details(self) -> list[str]:
        return []


class ProviderUnavailable(ProviderError):
    """No usable answer: connection error, timeout or 5xx.

    ``outcome_unknown`` is True when the request may have reached the provider (read timeout,
    connection dropped after sending, 5xx): a non-idempotent call must then be reconciled with a
    status lookup, never blindly repeated. It is False when nothing was sent (connect refused,
    connect timeout, TLS handshake failure).
    """

    def __init__(self, provider: str, *, outcome_unknown: bool = True, **fields: Any) -> None:
        super().__init__(provider, **fields)
        self.outcome_unknown = outcome_unknown

    def _details(self) -> list[str]:
        return ["(outcome unknown)"] if self.outcome_unknown else ["(not sent)"]


class ProviderRateLimited(ProviderError):
    """429 Too Many Requests; ``retry_after`` is how long the provider asked us to wait."""

    def __init__(
        self, provider: str, *, retry_after: timedelta | None = None, **fields: Any
    ) -> None:
        super().__init__(provider, **fields)
        self.retry_after = retry_after

    def _details(self) -> list[str]:
        if self.retry_after is None:
            return []
        return [f"(retry after {int(self.retry_after.total_seconds())}s)"]


class ProviderAuthError(ProviderError):
    """401/403: our credentials are wrong or revoked. Alert staff; retrying cannot help."""


class ProviderRejected(ProviderError):
    """Any other 4xx: the provider understood and refused; ``code`` says why."""


def _rebuild(cls: type[ProviderError], state: dict[str, Any]) -> ProviderError:
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("provider"))
    error.__dict__.update(state)
    return error


def parse_retry_after(value: str | None, *, now: datetime) -> timedelta | None:
    """A ``Retry-After`` header (delay-seconds or HTTP-date) as a wait from ``now``."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        seconds = int(value) if len(value) <= 10 else _MAX_RETRY_AFTER
        return timedelta(seconds=min(seconds, _MAX_RETRY_AFTER))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" means UTC with no claim about local time
        when = when.replace(tzinfo=UTC)
    return max(when - now, timedelta(0))


def error_from_response(
    provider: str,
    response: requests.Response,
    *,
    code: str | None = None,
    merchant_message: str | None = None,
    customer_message: str | None = None,
) -> ProviderError:
    """The exception for a non-2xx response; its class follows the status alone.

    A provider's ``error_mapper`` extracts its own fields and calls this; fields it leaves None
    are looked up in the body under common keys (error_code/error_message, code/message, error,
    detail), the merchant message falling back to the HTTP reason phrase.
    """
    found_code, found_merchant, found_customer = _common_error_fields(decode_json(response.content))
    status = response.status_code
    fields: dict[str, Any] = {
        "http_status": status,
        "code": code or found_code,
        "merchant_message": merchant_message or found_merchant or response.reason or None,
        "customer_message": customer_message or found_customer,
    }
    if status in (401, 403):
        return ProviderAuthError(provider, **fields)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now=datetime.now(UTC))
        return ProviderRateLimited(provider, retry_after=retry_after, **fields)
    if status >= 500:
        return ProviderUnavailable(provider, outcome_unknown=True, **fields)
    if status >= 400:
        return ProviderRejected(provider, **fields)
    return ProviderError(provider, **fields)  # 1xx/3xx: redirects are never followed


def _common_error_fields(data: Any) -> tuple[str | None, str | None, str | None]:
    if not isinstance(data, Mapping):
        return None, None, None
    if isinstance(data.get("error"), Mapping):  # {"error": {"code": ..., "message": ...}}
        data = data["error"]
    return (
        _first(data, "error_code", "errorCode", "code"),
        _first(data, "error_message", "errorMessage", "message", "detail", "error", "description"),
        _first(data, "customer_message", "display_message", "user_message"),
    )


def _first(data: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)[:500]  # untrusted: bounded
    return None
