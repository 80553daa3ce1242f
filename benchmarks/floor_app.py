"""The benchmark's floor: a bare Flask app whose one endpoint makes the site's single provider call.

``POST /sale`` creates one hosted-page Paytrek sale through the project's own
``PaytrekClient.create_sale`` (the same ``ProviderHTTP`` layer: requests session, pool, timeouts,
redacted log line) against the same sandbox, and answers JSON. No database, no session, no CSRF,
no templates: whatever the site spends on top of this is its own overhead. ``GET /healthz`` is
the same one-liner as the site's, so health latency under load can be compared on equal terms.

Served by ``benchmarks/run.py`` under the project's ``gunicorn.conf.py``::

    SANDBOX_URL=http://127.0.0.1:5001 gunicorn -c gunicorn.conf.py benchmarks.floor_app:app
"""

from __future__ import annotations

import logging
import os
import uuid

from flask import Flask, jsonify

from webapp.config import SANDBOX_CREDENTIALS, SANDBOX_PATHS
from webapp.money import Money
from webapp.providers._redact import install_log_redaction
from webapp.providers.paytrek import PaytrekClient, SaleItem, SaleRequest

# The site logs every provider call at INFO through a redacting filter; the floor does the same,
# so both pay for the same log line per call.
if not logging.getLogger().handlers:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
install_log_redaction()

SANDBOX_URL = os.environ.get("SANDBOX_URL", "http://127.0.0.1:5001").rstrip("/")
PAYTREK_BASE_URL = SANDBOX_URL + SANDBOX_PATHS["PAYTREK"]
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

app = Flask(__name__)
# One client (one connection pool) per worker process, as webapp.payments.clients keeps it.
paytrek = PaytrekClient(
    PAYTREK_BASE_URL,
    SANDBOX_CREDENTIALS["PAYTREK_API_KEY"],
    SANDBOX_CREDENTIALS["PAYTREK_SECRET"],
)
AMOUNT = Money.parse("150.00", "TRY")


@app.post("/sale")
def sale():
    """One ``POST /api/v2/sale/`` (hosted page), built as ``card._create_sale`` builds it."""
    order_id = f"floor-{uuid.uuid4().hex}"
    return_url = f"{PUBLIC_BASE_URL}/pay/{order_id}/return"
    created = paytrek.create_sale(
        SaleRequest(
            order_id=order_id,
            amount=AMOUNT,
            customer_first_name="Ayşe",
            customer_last_name="Yılmaz",
            customer_email="ayse@example.com",
            customer_ip_address="127.0.0.1",
            billing_address="Bağdat Caddesi 1",
            billing_city="İstanbul",
            billing_country="TR",
            billing_zipcode="34000",
            billing_phone="+90 555 000 00 00",
            items=(SaleItem(name="Bench item", quantity=1, unit_price=AMOUNT),),
            return_url=return_url,
            cancel_url=return_url,
            hosted_payment=True,
            language_code="tr",
        )
    )
    return jsonify(
        token=created.token,
        redirect=PaytrekClient.hosted_payment_url(PAYTREK_BASE_URL, created.token),
    )


@app.get("/healthz")
def healthz():
    return jsonify(status="ok")
