from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Regexp


class RefundForm(FlaskForm):
    amount = StringField(
        _l("Amount to refund"),
        validators=[
            DataRequired(),
            Regexp(r"^[0-9]+(\.[0-9]{1,2})?$", message=_l("Enter an amount such as 150.00.")),
        ],
    )
