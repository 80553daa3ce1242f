"""Settings, read once from the environment and checked before the app serves anything.

Trust boundary: the environment is the operator's; a missing or malformed value stops start-up
with a message that names the variable, so a typo never turns into a silent default in production.
Secrets have no fallback. Tests and the development launcher pass a mapping instead of patching
``os.environ``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from ipaddress import ip_network
from typing import Any
from urllib.parse import urlsplit

ENVIRONMENTS = ("production", "development")

# Each provider's base URL below the sandbox's address; see webapp/sandbox. Pientegra's, like
# the one it assigns each integration (public-notes §2.1), ends in /api/v1.
SANDBOX_PATHS = {
    "PAYTREK": "/paytrek",
    "PIENTEGRA": "/pientegra/api/v1",
    "NEXKASA": "/nexkasa",
    "PAYNET": "/paynet",
}

# Credentials the embedded sandbox accepts. They are public demo values, not secrets: a provider
# whose base URL is unset talks to the sandbox, and production refuses that unless told to.
SANDBOX_CREDENTIALS = {
    "PAYTREK_API_KEY": "sandbox-paytrek-key",
    "PAYTREK_SECRET": "sandbox-paytrek-secret",
    "PAYTREK_PUBLISHABLE_KEY": "sandbox-paytrek-publishable",
    "PIENTEGRA_API_KEY": "sk_test_sandbox_demo",
    "PIENTEGRA_WEBHOOK_SECRET": "whsec_sandbox_demo",
    "NEXKASA_API_KEY": "sandbox-nexkasa-key",
    "NEXKASA_CALLBACK_TOKEN": "sandbox-nexkasa-callback-token",
    "NEXKASA_WEBHOOK_SECRET": "sandbox-nexkasa-webhook-secret",
    "PAYNET_SECRET_KEY": "sandbox-paynet-secret",
    "PAYNET_CARI_USERNAME": "sandbox-cari",
    "PAYNET_CARI_PASSWORD": "sandbox-cari-password",
}

OPTIONAL_SECRETS = ("PIENTEGRA_WEBHOOK_SECRET_PREVIOUS", "PAYTREK_JS_SRI")


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


def load_settings(
    environ: Mapping[str, str], overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Build Flask's config from the environment, then overrides; raise ConfigError on bad input."""
    source: dict[str, Any] = {**environ, **(overrides or {})}
    env = _choice(source, "APP_ENV", ENVIRONMENTS, default="production")
    production = env == "production"

    settings: dict[str, Any] = {
        "APP_ENV": env,
        "SECRET_KEY": _secret_key(source),
        "PUBLIC_BASE_URL": _url(
            source, "PUBLIC_BASE_URL", default=None if production else "http://127.0.0.1:5000"
        ),
        "SANDBOX_URL": _url(source, "SANDBOX_URL", default="http://localhost:5001"),
        "ALLOW_SANDBOX": _bool(source, "ALLOW_SANDBOX", default=not production),
        "REDIS_URL": source.get("REDIS_URL") or None,
        "TRUSTED_PROXY_HOPS": _int(source, "TRUSTED_PROXY_HOPS", default=0, minimum=0),
        "SQLALCHEMY_DATABASE_URI": source.get("DATABASE_URL") or None,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(source),
        "SESSION_MINUTES": _int(source, "SESSION_MINUTES", default=30, minimum=1),
        "LOGIN_MAX_FAILURES": _int(source, "LOGIN_MAX_FAILURES", default=10, minimum=1),
        "LOGIN_LOCKOUT_MINUTES": _int(source, "LOGIN_LOCKOUT_MINUTES", default=30, minimum=1),
        "LOGIN_RATE_LIMIT": str(source.get("LOGIN_RATE_LIMIT") or "20 per minute"),
        "PUBLIC_RATE_LIMIT": str(source.get("PUBLIC_RATE_LIMIT") or "300 per minute"),
        "RATELIMIT_ENABLED": _bool(source, "RATELIMIT_ENABLED", default=True),
        "NEXKASA_CALLBACK_IPS": _networks(source, "NEXKASA_CALLBACK_IPS"),
        # Pientegra webhooks: how far `t` may be from our clock, and whether an authentic but
        # stale body with an eventId we never saw (Pientegra's replay resends the old `t`) passes.
        "PIENTEGRA_WEBHOOK_TOLERANCE_SECONDS": _int(
            source, "PIENTEGRA_WEBHOOK_TOLERANCE_SECONDS", default=300, minimum=1
        ),
        "PIENTEGRA_ACCEPT_REPLAYS": _bool(source, "PIENTEGRA_ACCEPT_REPLAYS", default=False),
    }
    if settings["LOGIN_MAX_FAILURES"] > 10:
        raise ConfigError("LOGIN_MAX_FAILURES: at most 10 failures may precede a lockout")
    if settings["LOGIN_LOCKOUT_MINUTES"] < 30:
        raise ConfigError("LOGIN_LOCKOUT_MINUTES: a lockout lasts at least 30 minutes")
    if production and not settings["REDIS_URL"]:
        raise ConfigError(
            "REDIS_URL: production keeps rate-limit counters in Redis so every worker shares them"
        )
    settings.update(_providers(source, settings))
    settings.update(_flask_security(settings, production))
    return settings


def _engine_options(source: Mapping[str, Any]) -> dict[str, Any]:
    """A card sale holds its database connection through the provider call (the checkout row
    stays locked), so a worker needs about one connection per thread: size the pool to
    GUNICORN_THREADS, within what the server allows (workers x (size + overflow))."""
    options: dict[str, Any] = {"pool_pre_ping": True}
    if str(source.get("DATABASE_URL") or "sqlite").startswith("sqlite"):
        return options
    options["pool_size"] = _int(source, "DB_POOL_SIZE", default=16, minimum=1)
    options["max_overflow"] = _int(source, "DB_MAX_OVERFLOW", default=2, minimum=0)
    return options


def _providers(source: Mapping[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    """Each provider's base URL and credentials; an unset base URL means the embedded sandbox."""
    sandbox = settings["SANDBOX_URL"].rstrip("/")
    out: dict[str, Any] = {"SANDBOX_PROVIDERS": []}
    for provider, path in SANDBOX_PATHS.items():
        name = f"{provider}_BASE_URL"
        if source.get(name):
            out[name] = _url(source, name, default=None).rstrip("/")
            continue
        if not settings["ALLOW_SANDBOX"]:
            raise ConfigError(f"{name}: unset means the sandbox, which production refuses")
        out[name] = sandbox + path
        out["SANDBOX_PROVIDERS"].append(provider.lower())
    hosted = source.get("PAYTREK_HOSTED_URL")
    out["PAYTREK_HOSTED_URL"] = (
        _url(source, "PAYTREK_HOSTED_URL", default=None) if hosted else out["PAYTREK_BASE_URL"]
    )
    for name, sandbox_value in SANDBOX_CREDENTIALS.items():
        provider = name.split("_", 1)[0]
        value = source.get(name)
        if not value and provider.lower() in out["SANDBOX_PROVIDERS"]:
            value = sandbox_value
        if not value:
            raise ConfigError(f"{name}: required when {provider}_BASE_URL points at the provider")
        out[name] = str(value)
    for name in OPTIONAL_SECRETS:
        out[name] = source.get(name) or None
    return out


def _flask_security(settings: Mapping[str, Any], production: bool) -> dict[str, Any]:
    """Cookie and CSRF settings; Flask's defaults are too lax for a payments console."""
    return {
        "SESSION_COOKIE_NAME": "__Host-session" if production else "session",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=settings["SESSION_MINUTES"]),
        "SESSION_REFRESH_EACH_REQUEST": True,
        "REMEMBER_COOKIE_DURATION": timedelta(0),
        "WTF_CSRF_TIME_LIMIT": settings["SESSION_MINUTES"] * 60,
        "WTF_CSRF_SSL_STRICT": production,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": "tr",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Istanbul",
        "LANGUAGES": ("tr", "en"),
        "HSTS_SECONDS": 31_536_000 if production else 0,
        "RATELIMIT_STORAGE_URI": settings["REDIS_URL"] or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    }


def _secret_key(source: Mapping[str, Any]) -> str:
    value = source.get("SECRET_KEY")
    if not value:
        raise ConfigError("SECRET_KEY: required (make run generates one under instance/)")
    if len(str(value)) < 32:
        raise ConfigError("SECRET_KEY: must be at least 32 characters of random data")
    return str(value)


def _url(source: Mapping[str, Any], name: str, *, default: str | None) -> str:
    value = source.get(name) or default
    if value is None:
        raise ConfigError(f"{name}: required")
    parts = urlsplit(str(value))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name}: must be an absolute http(s) URL, got {value!r}")
    return str(value).rstrip("/")


def _bool(source: Mapping[str, Any], name: str, *, default: bool) -> bool:
    value = source.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}: expected true or false, got {value!r}")


def _int(source: Mapping[str, Any], name: str, *, default: int, minimum: int) -> int:
    value = source.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: expected a whole number, got {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{name}: must be at least {minimum}")
    return number


def _choice(source: Mapping[str, Any], name: str, choices: tuple[str, ...], *, default: str) -> str:
    value = str(source.get(name) or default)
    if value not in choices:
        raise ConfigError(f"{name}: one of {', '.join(choices)}, got {value!r}")
    return value


def _networks(source: Mapping[str, Any], name: str) -> tuple:
    value = source.get(name)
    if not value:
        return ()
    try:
        return tuple(ip_network(part.strip(), strict=False) for part in str(value).split(","))
    except ValueError as error:
        raise ConfigError(f"{name}: comma-separated CIDRs expected ({error})") from None
