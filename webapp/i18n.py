"""Language choice and locale-aware formatting: Turkish by default, English on request.

The choice comes from the switcher's cookie, then Accept-Language. Amounts are formatted by one
filter so every page writes ``₺1.500,00`` in Turkish and ``TRY 1,500.00`` in English.
"""

from __future__ import annotations

from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency
from flask import Flask, current_app, request
from flask_babel import format_datetime, get_locale

from webapp.models.statuses import CheckoutStatus
from webapp.money import Money

LANGUAGE_COOKIE = "lang"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def format_money(value: Money) -> str:
    locale = str(get_locale() or "tr")
    # English readers get the ISO code: "TRY 1,500.00" is unambiguous where "₺" may not render.
    if locale == "en":
        return format_currency(
            Decimal(value.amount), value.currency, locale="en", format="¤¤ #,##0.00"
        )
    return format_currency(Decimal(value.amount), value.currency, locale=locale)


def country_name(code: str) -> str:
    """An ISO country code as the reader's language names it ("Almanya", "Germany")."""
    return Locale.parse(str(get_locale() or "tr")).territories.get(code, code)


def status_label(status: str) -> str:
    """A checkout status word, translated; unknown words are shown as they are."""
    try:
        return CheckoutStatus(status).label
    except ValueError:
        return status


def init_app(app: Flask) -> None:
    app.add_template_filter(format_money, "money")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(country_name, "country")
    app.jinja_env.globals["status_label"] = status_label
    app.jinja_env.globals["money_of"] = Money.from_minor
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale() or "tr")
