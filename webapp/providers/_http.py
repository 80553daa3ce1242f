"""The one HTTP layer every provider client sends its requests through.

Job: JSON in and out with Decimal kept exact, connect and read timeouts on every call, retries
for idempotent requests only (GET/HEAD, or a request carrying an ``Idempotency-Key``), non-2xx
answers and transport failures turned into the exceptions of ``errors.py``, and one redacted log
line per attempt.

Trust boundary: ``base_url`` and credentials come from our configuration; everything the provider
sends back (status, headers, body) is untrusted. Requests go only to ``base_url``: paths must be
relative, redirects are never followed, and cookies are never stored (one session serves every
merchant and thread). Bodies, credentials and path parameters are never logged; query strings
and exception messages pass through ``redact()``.
"""

from __future__ import annotations

import functools
import http.client
import logging
import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import quote, urlencode

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from urllib3.exceptions import ConnectTimeoutError

from webapp.providers._json import decode_json, encode_json
from webapp.providers._redact import masking, protect_urllib3_loggers, redact
from webapp.providers.errors import (
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
    error_from_response,
)

ErrorMapper = Callable[[requests.Response], ProviderError]
Auth = AuthBase | tuple[str, str] | Mapping[str, str] | None
Params = Mapping[str, Any] | Sequence[tuple[str, Any]] | None

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD"})
RETRY_STATUSES = frozenset({500, 502, 503, 504})  # plus 429 and transport failures
_TRANSPORT_ERRORS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
_PATH_PARAM = re.compile(r"\{(\w+)\}")


def backoff_delay(
    attempt: int, *, base: float = 0.25, cap: float = 8.0, rand: Callable[[], float]
) -> float:
    """Seconds to wait before retry number ``attempt`` (0 for the first retry).

    AWS "full jitter": uniform in [0, min(cap, base * 2**attempt)), so clients that failed
    together do not come back together. ``rand`` returns a float in [0, 1).
    """
    if attempt < 0:
        raise ValueError(f"attempt must be >= 0, got {attempt}")
    return min(cap, base * 2 ** min(attempt, 64)) * rand()


@dataclass(frozen=True)
class Backoff:
    """How long to wait between retries; ``rand`` is injectable so tests can pin the jitter."""

    base: float = 0.25
    cap: float = 8.0
    rand: Callable[[], float] = random.random  # jitter, not cryptography

    def delay(self, attempt: int) -> float:
        return backoff_delay(attempt, base=self.base, cap=self.cap, rand=self.rand)


@dataclass(frozen=True)
class ProviderResponse:
    """A 2xx answer, read whole; its ``data`` is untrusted until the provider module checks it."""

    status: int
    headers: Mapping[str, str]  # case-insensitive
    body: bytes
    data: Any  # the body parsed as JSON (Decimal for numbers with a fraction), or None


class ProviderHTTP:
    """One provider's connection pool, timeouts, retry policy and error mapping.

    Thread-safe for concurrent ``request`` calls (the session is never mutated after set-up).
    """

    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        auth: Auth = None,
        connect_timeout: float = 3.05,
        read_timeout: float = 15.0,
        max_retries: int = 2,
        backoff: Backoff = Backoff(),  # frozen: sharing the default is safe
        max_total_wait: float = 30.0,
        error_mapper: ErrorMapper | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not base_url.startswith(("https://", "http://")):
            raise ValueError(f"{provider}: base URL must be http(s), got {redact(base_url)!r}")
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_total_wait = max_total_wait
        self._map_error = error_mapper or (lambda r: error_from_response(provider, r))
        self._sleep = sleep
        self._log = logging.getLogger(f"webapp.providers.{provider}")
        self._session = _new_session(auth)
        self._credentials = tuple(auth.values()) if isinstance(auth, Mapping) else ()
        protect_urllib3_loggers()  # urllib3 logs full URLs at DEBUG, query strings included

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> ProviderHTTP:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Params = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        path_params: Mapping[str, str] | None = None,
    ) -> ProviderResponse:
        """Send one logical request, retrying it only when that cannot do harm.

        ``path`` is relative to the base URL and may hold ``{name}`` placeholders filled from
        ``path_params`` (URL-quoted); the template, not the values, is what gets logged, so put
        tokens there (``/vault/{card_token}/``). Raises a ``ProviderError`` subclass.
        """
        method = method.upper()
        url = self.base_url + _expand(path, path_params)
        log_path = redact(path + (f"?{urlencode(params, doseq=True)}" if params else ""))
        body = None if json is None else encode_json(json)  # the same bytes on every attempt
        send_headers = dict(headers or {})
        if idempotency_key is not None:
            send_headers["Idempotency-Key"] = idempotency_key
        idempotent = method in IDEMPOTENT_METHODS or idempotency_key is not None
        send_once = functools.partial(
            self._session.request,
            method,
            url,
            params=params,
            data=body,
            headers=send_headers,
            timeout=self.timeout,
            allow_redirects=False,
        )
        what = f"{method} {log_path}"
        if idempotency_key is not None:
            what += f" (Idempotency-Key {idempotency_key})"
        with masking([*self._credentials, *_path_values(path_params)]):
            return self._with_retries(send_once, what, idempotent)

    def _with_retries(
        self, send_once: Callable[[], requests.Response], what: str, idempotent: bool
    ) -> ProviderResponse:
        attempt, waited = 0, 0.0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                response = send_once()
            except _TRANSPORT_ERRORS as exc:
                self._log_attempt(what, type(exc).__name__, started, attempt)
                error: ProviderError = ProviderUnavailable(
                    self.provider,
                    outcome_unknown=not _never_sent(exc),
                    merchant_message=_describe(exc),
                )
            else:
                self._log_attempt(what, response.status_code, started, attempt)
                if 200 <= response.status_code < 300:
                    return ProviderResponse(
                        status=response.status_code,
                        headers=response.headers,
                        body=response.content,
                        data=decode_json(response.content),
                    )
                error = self._mapped(response)
            delay = self._retry_delay(error, attempt) if idempotent else None
            if delay is None or waited + delay > self.max_total_wait:
                # Chained transport errors would carry the full URL into tracebacks: dropped.
                raise error from None
            self._sleep(delay)
            waited += delay

    def _retry_delay(self, error: ProviderError, attempt: int) -> float | None:
        if attempt > self.max_retries:
            return None
        if isinstance(error, ProviderRateLimited):
            if error.retry_after is not None:
                return error.retry_after.total_seconds()
        elif not isinstance(error, ProviderUnavailable) or (
            error.http_status is not None and error.http_status not in RETRY_STATUSES
        ):
            return None
        return self.backoff.delay(attempt - 1)

    def _mapped(self, response: requests.Response) -> ProviderError:
        try:
            return self._map_error(response)
        except Exception as exc:  # a mapper surprised by an HTML 502 must not hide the 502
            self._log.warning("error mapper failed with %s; using the default", type(exc).__name__)
            return error_from_response(self.provider, response)

    def _log_attempt(self, what: str, outcome: object, started: float, attempt: int) -> None:
        elapsed_ms = round((time.monotonic() - started) * 1000)
        self._log.info("%s -> %s in %dms (attempt %d)", what, outcome, elapsed_ms, attempt)


def _new_session(auth: Auth) -> requests.Session:
    session = requests.Session()
    # No urllib3 retries (our loop decides); pool sized for a threaded gunicorn worker (up to
    # 64 threads keep their connection instead of discarding it after the call).
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=64, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    # Provider traffic goes where the settings say, not where a stray HTTP(S)_PROXY or .netrc
    # would send it; reading them also cost a walk of os.environ on every call.
    session.trust_env = False
    # Some providers require Content-Type on every request, GET included (Paytrek: "Tüm
    # isteklerin headerları Content-Type: application/json içermelidir").
    session.headers.update({"Content-Type": "application/json", "Accept": "application/json"})
    if isinstance(auth, Mapping):
        session.headers.update(auth)
    elif auth is not None:
        session.auth = auth
    return session


def _expand(path: str, path_params: Mapping[str, str] | None) -> str:
    if not path.startswith("/") or "://" in path:
        raise ValueError(f"path must be relative to the base URL: {redact(path)!r}")
    if not path_params:
        return path
    return _PATH_PARAM.sub(lambda m: quote(str(path_params[m[1]]), safe=""), path)


def _path_values(path_params: Mapping[str, str] | None) -> list[str]:
    values = [str(v) for v in (path_params or {}).values()]
    return [*values, *(quote(v, safe="") for v in values)]


def _never_sent(exc: Exception) -> bool:
    """True only when the request certainly never left: connect refused or timed out."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError) and not isinstance(
        exc, requests.exceptions.SSLError | requests.exceptions.ProxyError
    ):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return isinstance(reason, ConnectTimeoutError)  # NewConnectionError is one too
    return False


def _describe(exc: BaseException) -> str:
    """The exception's class and root OS error, without the URL urllib3 puts in its messages."""
    todo, seen = [exc], set()
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, http.client.RemoteDisconnected):
            return f"{type(exc).__name__}: remote end closed connection without response"
        if isinstance(current, OSError) and current.strerror:
            return f"{type(exc).__name__}: {current.strerror}"
        linked = (getattr(current, "reason", None), *current.args, current.__cause__)
        todo.extend(x for x in (*linked, current.__context__) if isinstance(x, BaseException))
    return type(exc).__name__
