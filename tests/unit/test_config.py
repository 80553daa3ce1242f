"""Start-up configuration: every bad setting stops the app with a message naming it."""

import pytest

from webapp.config import ConfigError, load_settings

GOOD_KEY = "k" * 40


def production(**extra):
    return {
        "SECRET_KEY": GOOD_KEY,
        "PUBLIC_BASE_URL": "https://pay.example.com",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "ALLOW_SANDBOX": "true",
        **extra,
    }


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SECRET_KEY": GOOD_KEY, "APP_ENV": "staging"}, "APP_ENV"),
        (
            {"SECRET_KEY": GOOD_KEY, "APP_ENV": "development", "SESSION_MINUTES": "ten"},
            "SESSION_MINUTES",
        ),
        (
            {"SECRET_KEY": GOOD_KEY, "APP_ENV": "development", "PUBLIC_BASE_URL": "pay.example"},
            "PUBLIC_BASE_URL",
        ),
        (
            {"SECRET_KEY": GOOD_KEY, "APP_ENV": "development", "LOGIN_MAX_FAILURES": "50"},
            "LOGIN_MAX_FAILURES",
        ),
        (
            {"SECRET_KEY": GOOD_KEY, "APP_ENV": "development", "LOGIN_LOCKOUT_MINUTES": "5"},
            "LOGIN_LOCKOUT_MINUTES",
        ),
        (
            {
                "SECRET_KEY": GOOD_KEY,
                "APP_ENV": "development",
                "NEXKASA_CALLBACK_IPS": "10.0.0.0/33",
            },
            "NEXKASA_CALLBACK_IPS",
        ),
        (
            {"SECRET_KEY": GOOD_KEY, "APP_ENV": "development", "ALLOW_SANDBOX": "maybe"},
            "ALLOW_SANDBOX",
        ),
    ],
)
def test_bad_setting_is_named(environ, variable):
    with pytest.raises(ConfigError, match=variable):
        load_settings(environ)


def test_production_needs_public_base_url():
    environ = production()
    del environ["PUBLIC_BASE_URL"]
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        load_settings(environ)


def test_production_refuses_the_sandbox_unless_told():
    with pytest.raises(ConfigError, match="PAYTREK_BASE_URL"):
        load_settings(production(ALLOW_SANDBOX="false"))


def test_production_needs_credentials_for_real_providers():
    environ = production(NEXKASA_BASE_URL="https://nexkasa.com")
    with pytest.raises(ConfigError, match="NEXKASA_API_KEY"):
        load_settings(environ)


def test_production_needs_shared_rate_limit_storage():
    environ = production()
    del environ["REDIS_URL"]
    with pytest.raises(ConfigError, match="REDIS_URL"):
        load_settings(environ)


def test_production_cookies_are_strict():
    settings = load_settings(production())
    assert settings["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert settings["PERMANENT_SESSION_LIFETIME"].total_seconds() <= 3600
    assert settings["HSTS_SECONDS"] >= 31_536_000


def test_unset_base_url_means_the_sandbox_with_its_demo_credentials():
    settings = load_settings({"SECRET_KEY": GOOD_KEY, "APP_ENV": "development"})
    assert settings["NEXKASA_BASE_URL"] == "http://localhost:5001/nexkasa"
    assert settings["NEXKASA_API_KEY"] == "sandbox-nexkasa-key"
    assert "nexkasa" in settings["SANDBOX_PROVIDERS"]


def test_the_sandbox_pientegra_base_url_includes_the_api_v1_pientegra_assigns():
    settings = load_settings({"SECRET_KEY": GOOD_KEY, "APP_ENV": "development"})
    assert settings["PIENTEGRA_BASE_URL"] == "http://localhost:5001/pientegra/api/v1"


def test_real_provider_url_is_kept():
    settings = load_settings(
        production(
            PAYTREK_BASE_URL="https://secure.paytrek.com.tr/",
            PAYTREK_API_KEY="a",
            PAYTREK_SECRET="b",
            PAYTREK_PUBLISHABLE_KEY="c",
        )
    )
    assert settings["PAYTREK_BASE_URL"] == "https://secure.paytrek.com.tr"
    assert "paytrek" not in settings["SANDBOX_PROVIDERS"]


def test_callback_ips_are_parsed_as_networks():
    settings = load_settings(
        {
            "SECRET_KEY": GOOD_KEY,
            "APP_ENV": "development",
            "NEXKASA_CALLBACK_IPS": "203.0.113.0/24, 198.51.100.7",
        }
    )
    assert [str(n) for n in settings["NEXKASA_CALLBACK_IPS"]] == [
        "203.0.113.0/24",
        "198.51.100.7/32",
    ]


def test_postgresql_pool_is_sized_for_threads():
    options = load_settings(
        {
            "SECRET_KEY": GOOD_KEY,
            "APP_ENV": "development",
            "DATABASE_URL": "postgresql+psycopg://db/x",
            "DB_POOL_SIZE": "32",
        }
    )["SQLALCHEMY_ENGINE_OPTIONS"]
    assert (options["pool_size"], options["max_overflow"]) == (32, 2)
    sqlite = load_settings({"SECRET_KEY": GOOD_KEY, "APP_ENV": "development"})
    assert "pool_size" not in sqlite["SQLALCHEMY_ENGINE_OPTIONS"]
