"""Scrub credentials, card numbers and IBANs out of text bound for logs and exception messages.

``redact()`` is the one pure function for that; ``RedactingFilter`` applies it to every log
record that passes through a logger or handler it is attached to, and ``install_log_redaction()``
attaches it where the app needs it (root handlers and urllib3, which logs full URLs, query string
included, at DEBUG).

Trust boundary: everything given to ``redact()`` is assumed to be able to hold a secret. It
over-masks rather than under-masks: any run of 13 to 19 digits is treated as a card number, so a
long numeric id keeps only its last four digits in the logs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

MASK = "***"

# Parameter, header and JSON key names whose values are secret. A name matches when one of its
# words does (``sale_token``, ``cardNumber``, ``X-API-KEY``) or when it is one of the run-together
# names below. Idempotency keys are not secret and are worth seeing in logs.
SENSITIVE_WORDS = frozenset(
    {
        "token", "key", "secret", "password", "passwd", "pwd", "signature", "sig", "hash",
        "pan", "card", "cvc", "cvv", "cvv2", "iban", "authorization", "cookie",
    }
)  # fmt: skip
_SENSITIVE_COMPACT = frozenset(
    {"apikey", "accesstoken", "authtoken", "saletoken", "cardtoken", "cardnumber", "cardno"}
)
_NOT_SENSITIVE_WORDS = frozenset({"idempotency"})

_AUTH_SCHEME = re.compile(r"\b(Bearer|Basic|Token|Digest)\s+[A-Za-z0-9\-._~+/]+=*", re.IGNORECASE)
# "name": "value" / 'name': 'value' / "name": 123 (JSON and Python reprs, headers dicts).
_QUOTED_PAIR = re.compile(
    r"""(?P<q>["'])(?P<name>[\w.\-]+)(?P=q)(?P<sep>\s*[:=]\s*)"""
    r"""(?:(?P<vq>["'])(?P<qv>(?:\\.|(?!(?P=vq)).)*)(?P=vq)|(?P<bare>[^\s,}\]{\[]+))"""
)
# name=value (query strings, form bodies, key=value log lines).
_EQUALS_PAIR = re.compile(
    r"""(?P<name>[A-Za-z_][\w.\-\[\]]*)="""
    r"""(?:(?P<vq>["'])(?P<qv>(?:\\.|(?!(?P=vq)).)*)(?P=vq)|(?P<value>[^&\s#"',;]*))"""
)
# Name: value (HTTP header lines).
_HEADER_PAIR = re.compile(
    r"(?P<name>\b[A-Za-z][\w\-]*):[ \t]*(?P<value>(?:(?:Bearer|Basic|Token|Digest)[ \t]+)?[^\s,;]+)"
)
# An IBAN: country, check digits, 11-30 alphanumerics, optionally grouped by single spaces.
_IBAN = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30})(?![A-Za-z0-9])")
# A card number: 13-19 digits, optionally grouped by single spaces or dashes.
_PAN = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
# Exact values (path tokens, credentials) that the call running in this context has in flight.
_IN_FLIGHT: ContextVar[tuple[str, ...]] = ContextVar("redact_in_flight", default=())
_CAMEL_BOUNDARY = re.compile(r"([a-z0-9])([A-Z])")
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")


def is_sensitive_name(name: str) -> bool:
    """Whether a parameter, header or JSON key named ``name`` carries a secret."""
    words = _WORD_SPLIT.split(_CAMEL_BOUNDARY.sub(r"\1_\2", name).lower())
    if _NOT_SENSITIVE_WORDS.intersection(words):
        return False
    return bool(SENSITIVE_WORDS.intersection(words)) or "".join(words) in _SENSITIVE_COMPACT


def redact(text: str) -> str:
    """Mask secrets in ``text``; text without any comes back unchanged.

    - ``Bearer x`` / ``Basic x`` -> ``Bearer ***``
    - values of sensitive names (``token=x``, ``"cvv": "x"``, ``X-API-KEY: x``) -> ``***``
    - IBANs -> country + ``****`` + last 4 (``TR****7890``)
    - card numbers (digit runs of 13 to 19 that pass the Luhn check) -> ``****`` + last 4
    """
    text = _AUTH_SCHEME.sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _QUOTED_PAIR.sub(_mask_quoted_pair, text)
    text = _EQUALS_PAIR.sub(_mask_pair, text)
    text = _HEADER_PAIR.sub(_mask_header, text)
    text = _IBAN.sub(_mask_iban, text)
    return _PAN.sub(_mask_pan, text)


def _mask_quoted_pair(match: re.Match[str]) -> str:
    if not is_sensitive_name(match["name"]):
        return match[0]
    quote, value_quote = match["q"], match["vq"] or ""
    return f"{quote}{match['name']}{quote}{match['sep']}{value_quote}{MASK}{value_quote}"


def _mask_pair(match: re.Match[str]) -> str:
    if not is_sensitive_name(match["name"]) or not (match["vq"] or match["value"]):
        return match[0]
    quote = match["vq"] or ""
    return f"{match['name']}={quote}{MASK}{quote}"


def _mask_header(match: re.Match[str]) -> str:
    if not is_sensitive_name(match["name"]) or match["value"] == MASK:
        return match[0]
    return f"{match['name']}: {MASK}"


def _mask_iban(match: re.Match[str]) -> str:
    compact = match[1].replace(" ", "")
    return f"{compact[:2]}****{compact[-4:]}"


def _mask_pan(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match[0])
    if not _luhn_valid(digits):
        return match[0]  # not a card number: an order number, or digits inside one of our ids
    return f"****{digits[-4:]}"


def _luhn_valid(digits: str) -> bool:
    """Every card number passes the Luhn check; nine in ten other digit runs fail it."""
    total = 0
    for position, digit in enumerate(int(d) for d in reversed(digits)):
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


@contextmanager
def masking(values: Iterable[str]) -> Iterator[None]:
    """While the block runs, ``RedactingFilter`` also masks these exact values in this context.

    For secrets no pattern can recognise, such as a token in a URL path, which urllib3 logs
    at DEBUG from the calling thread. Values shorter than 4 characters are ignored.
    """
    known = {*_IN_FLIGHT.get(), *(v for v in values if len(v) >= 4)}
    reset = _IN_FLIGHT.set(tuple(sorted(known, key=len, reverse=True)))
    try:
        yield
    finally:
        _IN_FLIGHT.reset(reset)


def _scrub(text: str) -> str:
    for value in _IN_FLIGHT.get():
        text = text.replace(value, MASK)
    return redact(text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message and traceback through ``redact()``; drops nothing.

    Values registered with ``masking()`` by the call in progress are masked too. The record is
    changed in place, so handlers further down see only the scrubbed text. Attach
    it to a handler to cover every record that handler emits, or to a logger to cover the records
    created on that very logger (a logger's filters do not apply to its children's records).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: the handler would print the raw args
            message = f"{record.msg} {record.args}"
        record.msg, record.args = _scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = _scrub(record.stack_info)
        return True


# urllib3 logs the request line (path and query string) and connection targets on these.
URLLIB3_LOGGERS = (
    "urllib3",
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.poolmanager",
    "urllib3.response",
    "urllib3.util.retry",
)


def protect_urllib3_loggers() -> None:
    """Attach a ``RedactingFilter`` to urllib3's loggers; calling it again changes nothing."""
    for name in URLLIB3_LOGGERS:
        _attach(logging.getLogger(name))


def install_log_redaction() -> None:
    """Scrub every log record: filters on the root logger's handlers and on urllib3's loggers.

    Idempotent. Call it after logging is configured (handlers added later are not covered).
    """
    protect_urllib3_loggers()
    for handler in logging.getLogger().handlers:
        _attach(handler)


def _attach(target: logging.Filterer) -> None:
    if not any(isinstance(f, RedactingFilter) for f in target.filters):
        target.addFilter(RedactingFilter())
