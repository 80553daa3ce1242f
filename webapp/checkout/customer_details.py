"""The payer's details on the checkout page: what the merchant sent is shown, the rest asked."""

from __future__ import annotations

from flask import request
from wtforms.fields.choices import SelectChoice

from webapp.checkout.forms import DetailsForm
from webapp.models import Checkout
from webapp.payments.card import Customer
from webapp.payments.checkouts import STATE_COUNTRIES, set_payer_details
from webapp.payments.methods import Method

# form field -> checkout column
FIELDS = {
    "first_name": "customer_first_name",
    "last_name": "customer_last_name",
    "email": "customer_email",
    "phone": "customer_phone",
    "address": "billing_address",
    "city": "billing_city",
    "zipcode": "billing_zipcode",
    "country": "billing_country",
    "state": "billing_state",
}
REQUIRED = ("first_name", "last_name", "email", "address", "city", "country")


def labels() -> dict[str, str]:
    form = DetailsForm(meta={"csrf": False})
    return {name: form[name].label.text for name in FIELDS}


def given(checkout: Checkout) -> dict[str, str]:
    return {
        field: getattr(checkout, column)
        for field, column in FIELDS.items()
        if getattr(checkout, column)
    }


def complete(checkout: Checkout) -> bool:
    needs_state = checkout.billing_country in STATE_COUNTRIES and not checkout.billing_state
    return not needs_state and all(getattr(checkout, FIELDS[field]) for field in REQUIRED)


def form_for(checkout: Checkout, methods: list[Method]) -> DetailsForm:
    form = DetailsForm()
    for field in given(checkout):
        delattr(form, field)
    form.given_country = checkout.billing_country
    form.method.choices = [SelectChoice(str(method), method.label) for method in methods]
    if len(methods) == 1 and not form.method.data:
        form.method.data = str(methods[0])
    return form


def save(checkout: Checkout, form: DetailsForm) -> None:
    values = {
        FIELDS[name]: field.data.strip()
        for name, field in form._fields.items()
        if name in FIELDS and field.data and field.data.strip()
    }
    country = values.get("billing_country", checkout.billing_country)
    if country in STATE_COUNTRIES and "billing_state" in values:
        values["billing_state"] = values["billing_state"].upper()
    else:
        values.pop("billing_state", None)  # Paytrek wants a state only for the US and Canada
    set_payer_details(checkout, values)


def customer(checkout: Checkout, language: str) -> Customer:
    return Customer(
        first_name=checkout.customer_first_name or "",
        last_name=checkout.customer_last_name or "",
        email=checkout.customer_email or "",
        ip_address=request.remote_addr or "127.0.0.1",
        address=checkout.billing_address or "",
        city=checkout.billing_city or "",
        country=checkout.billing_country or "TR",
        zipcode=checkout.billing_zipcode,
        state=checkout.billing_state,
        phone=checkout.customer_phone,
        language=language,
    )
