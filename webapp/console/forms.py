from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class RefundForm(FlaskForm):
    """The amount as staff type it: "150.00", or the Turkish "150,00" and "1.500,00"."""

    amount = StringField(_l("Amount to refund"), validators=[DataRequired(), Length(max=20)])
