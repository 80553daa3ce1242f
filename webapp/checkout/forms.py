from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TelField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from webapp.i18n import country_name
from webapp.payments.checkouts import STATE_COUNTRIES

BILLING_COUNTRIES = ("TR", "DE", "GB", "US", "CA")


def _country_choices() -> list[SelectChoice]:
    """Offered billing countries, named in the page's language."""
    return [SelectChoice(code, country_name(code)) for code in BILLING_COUNTRIES]


class DetailsForm(FlaskForm):
    """What Paytrek requires of the payer; fields the merchant already sent are not asked again."""

    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    phone = TelField(
        _l("Phone"),
        validators=[
            Optional(),
            Regexp(r"^\+?[0-9 ()-]{7,32}$", message=_l("Enter a phone number.")),
        ],
    )
    address = StringField(_l("Address"), validators=[DataRequired(), Length(max=500)])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=100)])
    zipcode = StringField(_l("Postal code"), validators=[Optional(), Length(max=20)])
    country = SelectField(_l("Country"), choices=_country_choices, default="TR")
    state = StringField(_l("State (US and Canada)"))
    method = RadioField(_l("Payment method"), validators=[InputRequired()], choices=[])

    def validate_state(self, field: StringField) -> None:
        """A postal abbreviation where Paytrek wants one (the country may be the merchant's);
        elsewhere the field is ignored."""
        country = self.country.data if "country" in self else self.given_country
        if country in STATE_COUNTRIES and not re.fullmatch(
            r"[A-Za-z]{2}", (field.data or "").strip()
        ):
            raise ValidationError(_l("Enter the two-letter code, e.g. NY."))

    given_country: str | None = None


class CardTokenForm(FlaskForm):
    """The 3-D Secure card form as it reaches us: a PaytrekJS token, never card data."""

    card_token = HiddenField(validators=[DataRequired(), Length(max=128)])
    # Offered choices depend on the card's BIN and are checked again by Paytrek (30037).
    installment = IntegerField(
        _l("Installments"), validators=[Optional(), NumberRange(min=1, max=36)]
    )
