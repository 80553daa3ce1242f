"""Paytrek's hosted pages: the payment form at ``/?token=<sale_token>`` (paytrek-api.txt
"Paytrek Ortak Ödeme Formu") and the bank's 3-D Secure page its ``forward_url`` points at.

The form (Turkish, labelled fields) charges the sale; a 3-D card (the sale's ``secure_option``,
or a card the document marks with a 3-D password: the customer's bank asks for it on a hosted
form) goes to ``/3ds/<session>`` first. Whatever the outcome, the customer ends at
``/return/<sale_token>``, which sends them to the sale's ``return_url`` with ``token=`` appended
(§4.4) and, for a sale without one, shows a plain result page (the real Paytrek would use the
URL of the merchant's account, which the sandbox does not have). "İptal" and "Vazgeç" lead
there too and leave the sale as it was (``Created``).

Trust boundary: customers' browsers. The sale token in the URL and the unguessable 3-D session
id are the only capabilities; there is no login and no cookie, so there is nothing to forge
across sites. Card numbers are read for the charge and never kept or shown back in full.
"""

from __future__ import annotations

import re
from contextlib import suppress
from decimal import Decimal
from typing import Any

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from ..store import Record
from . import cards, codes, sales
from .blueprint import bp
from .codes import Refusal
from .wire import with_token

INSTALLMENT_CHOICES = (1, 3, 6)
_FORM_FIELDS = {  # input name: (what it must match, the error shown beside it)
    "card_number": (r"\d{12,19}", "Geçerli bir kart numarası girin."),
    "card_holder_name": (r".+", "Kart sahibinin adını girin."),
    "expiry_month": (r"\d{1,2}", "Son kullanma ayını 01 ile 12 arasında girin."),
    "expiry_year": (r"\d{2}|\d{4}", "Son kullanma yılını YYYY biçiminde girin."),
    "cvc": (r"\d{3,4}", "CVC 3 ya da 4 haneden oluşur."),
    "installment": ("|".join(str(n) for n in INSTALLMENT_CHOICES), "Geçerli bir taksit seçin."),
}
_STATUS_TEXT = {
    sales.PAID: "Ödeme alındı.",
    sales.PREAUTHORIZED: "Ödeme için provizyon alındı.",
    sales.DECLINED: "Ödeme reddedildi.",
    sales.EXPIRED: "Bu ödeme sayfasının süresi doldu.",
    sales.CREATED: "Ödeme yapılmadı.",
}


def tr_amount(amount: Decimal, currency: str) -> str:
    """``₺1.500,00`` / ``1.500,00 USD``: Turkish digit grouping, as the form shows amounts."""
    grouped = f"{amount:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"₺{grouped}" if currency == "TRY" else f"{grouped} {currency}"


def _page(template: str, http_status: int = 200, **context: Any) -> ResponseReturnValue:
    return render_template(
        f"sandbox/paytrek/{template}",
        test_cards=cards.TEST_CARDS,
        three_d_password=cards.THREE_D_PASSWORD,
        tr_amount=tr_amount,
        **context,
    ), http_status


def _not_found() -> ResponseReturnValue:
    return _page("result.html", 404, sale=None, message="Ödeme bulunamadı.")


def _result(sale: Record) -> ResponseReturnValue:
    status = sales.shown_status(sale)
    message = _STATUS_TEXT.get(status, f"Ödemenin durumu: {status}.")
    last = sale["transactions"][-1] if sale["transactions"] else None
    code = last["error_code"] if last else None
    return _page(
        "result.html",
        sale=sale,
        status=status,
        message=message,
        error_code=code,
        customer_message=codes.customer_message(code) if code else None,
    )


def _payable(sale: Record) -> bool:
    return sales.shown_status(sale) in sales.CHARGEABLE


def _card_form(form: MultiDict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's values and its field errors (Turkish), keyed by input name."""
    values = {name: form.get(name, "").strip() for name in _FORM_FIELDS}
    values["card_number"] = re.sub(r"[\s-]", "", values["card_number"])
    errors = {
        name: message
        for name, (pattern, message) in _FORM_FIELDS.items()
        if not re.fullmatch(pattern, values[name])
    }
    if "expiry_month" not in errors and not 1 <= int(values["expiry_month"]) <= 12:
        errors["expiry_month"] = _FORM_FIELDS["expiry_month"][1]
    return values, errors


@bp.route("/", methods=["GET", "POST"])
def payment_form() -> ResponseReturnValue:
    sale = sales.find(request.args.get("token", ""))
    if sale is None:
        return _not_found()
    if not _payable(sale):
        return _result(sale)
    if request.method == "GET":
        return _page("payment.html", sale=sale, errors={}, form={}, choices=INSTALLMENT_CHOICES)
    values, errors = _card_form(request.form)
    if errors:
        form = {k: v for k, v in values.items() if k not in ("card_number", "cvc")}  # never echoed
        return _page(
            "payment.html", 400, sale=sale, errors=errors, form=form, choices=INSTALLMENT_CHOICES
        )
    number = values["card_number"]
    month, year = int(values["expiry_month"]), cards.four_digit_year(int(values["expiry_year"]))
    card = sales.card_on_file(number, month, year, values["card_holder_name"])
    known = cards.known_card(number)
    secure = sale["secure_option"] or bool(known and known.enrolled_3d)
    try:
        _, session = sales.charge(sale["sale_token"], card, int(values["installment"]), secure)
    except Refusal:  # paid or expired since the form was shown
        return _result(sales.get(sale["sale_token"]))
    if session:
        return redirect(url_for(".three_d_page", session_id=session), 303)
    return redirect(url_for(".finish", sale_token=sale["sale_token"]), 303)


@bp.get("/return/<sale_token>")
def finish(sale_token: str) -> ResponseReturnValue:
    sale = sales.find(sale_token)
    if sale is None:
        return _not_found()
    if sale["return_url"]:
        return redirect(with_token(sale["return_url"], sale["sale_token"]), 302)
    return _result(sale)


@bp.route("/3ds/<session_id>", methods=["GET", "POST"])
def three_d_page(session_id: str) -> ResponseReturnValue:
    session = sales.three_d_session(session_id)
    if session is None:
        return _page("result.html", 404, sale=None, message="3-D Secure oturumu bulunamadı.")
    sale = sales.get(session["sale_token"])
    if session["done"] or not _payable(sale):
        return redirect(url_for(".finish", sale_token=sale["sale_token"]), 303)
    if request.method == "POST":
        with suppress(Refusal):  # answered meanwhile (another tab): the result page says how
            sales.finish_three_d(session_id, request.form.get("password", ""))
        return redirect(url_for(".finish", sale_token=sale["sale_token"]), 303)
    bank = cards.bank_for_bin(session["card"]["bin_number"])
    return _page("three_d.html", sale=sale, card=session["card"], bank=bank)
