"""The payout request form, and the customer's words for each reason a field is refused."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length


class PayoutRequestForm(FlaskForm):
    """Lengths only: the use case checks every field at once, so all errors show together."""

    iban = StringField(_l("IBAN"), validators=[Length(max=64)])
    holder_name = StringField(_l("Account holder's name"), validators=[Length(max=200)])
    amount = StringField(_l("Amount (TRY)"), validators=[Length(max=20)])


REQUIRED_MESSAGES = {
    "iban": _l("Enter your IBAN."),
    "holder_name": _l("Enter the account holder's name."),
    "amount": _l("Enter an amount."),
}


# ``SpecError.code`` -> what the customer reads under the field.
FIELD_MESSAGES = {
    "iban_country": _l("Enter a Turkish IBAN: it starts with TR."),
    "iban_length": _l("A Turkish IBAN has 26 characters (TR and 24 digits)."),
    "iban_invalid": _l("A Turkish IBAN has only digits after TR."),
    "iban_checksum": _l("This IBAN is not valid: please check the digits."),
    "holder_name": _l("Enter the account holder's full name."),
    "invalid_amount": _l("Enter an amount such as 150.00, within the allowed range."),
    "amount_above_limit": _l("The amount is above the limit of this link."),
}
GENERIC_MESSAGE = _l("Please check this field.")
