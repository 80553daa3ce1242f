"""Paytrek's error-code table (paytrek-api.txt "Hata Kodları", public-notes §4.8) and the refusal
every API route raises to answer in Paytrek's envelope.

Codes are strings because the table mixes numbers with ``UNKNOWN_ERROR``. A "-" customer message
in the table becomes None: Paytrek gives the customer nothing to read for that code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The customer messages the table repeats, verbatim ("the the seller" included).
_CONTACT_SELLER = "An unexpected error has occurred, please contact the seller."
_CONTACT_BANK = "Transaction has been denied, please contact your bank."
_CHECK_CARD = "Transaction has been denied, please check your card information."
_NO_3D = "We cannot proceed with your transaction, unable to perform 3D Secure Authentication."
_NOT_NOW = "We cannot complete your transaction at the moment, please contact the the seller."
_TERMINATED = "Your transaction has been terminated, please check your card information."

# code: (merchant message, customer message), in the document's order.
ERROR_CODES: Mapping[str, tuple[str, str | None]] = {
    "30001": ("Invalid Business Member", _CONTACT_SELLER),
    "10004": (
        "Transaction has been denied / General Rejection",
        "Transaction has been denied, please contact your bank",
    ),
    "10006": ("ID Control / Honor With Id", _CONTACT_BANK),
    "30003": ("Invalid Amount", _CONTACT_SELLER),
    "10009": ("Invalid Account / Card Number", _TERMINATED),
    "10020": ("Insufficient Limit", "Transaction has been denied, please check your card limit."),
    "10023": ("Card has Expired", _CHECK_CARD),
    "10026": ("The transaction has not been cleared to the cardholder", _CONTACT_BANK),
    "10029": ("Security Breach", _CONTACT_BANK),
    "30009": ("Incompatible data received", _CONTACT_SELLER),
    "30011": ("Encryption Error", _CONTACT_SELLER),
    "10033": ("Wrong / Invalid Cvv", _CHECK_CARD),
    "30013": ("Authentication Error", _CONTACT_SELLER),
    "10038": (
        "Rejection - Invalid Card",
        "The transaction has been denied, please proceed with another card.",
    ),
    "30015": ("Double Transaction Transfer", None),
    "30016": ("Daily Count Error/ Cancellation has been rejected", None),
    "20015": ("System Error", _CONTACT_SELLER),
    "20017": ("Connection Error", _CONTACT_SELLER),
    "30033": ("Incorrect Extra Point Parameter", _CONTACT_SELLER),
    "30037": ("Invalid Installment", _CONTACT_SELLER),
    "30041": ("Invalid Pos", _CONTACT_SELLER),
    "30050": ("End of the Day Transactions must be Completed", _CONTACT_SELLER),
    "30053": ("Invalid Currency", _CONTACT_SELLER),
    "30090": ("Invalid Repeating Payment Duration", None),
    "10046": ("The Request can be Fraud, Ip of cardholder did not clear the check", _CONTACT_BANK),
    "30119": ("Invalid Order Number.", _NOT_NOW),
    "30120": ("Order Number is in Use", _NOT_NOW),
    "10049": (
        "Maximum Retry Count Exceeded",
        "Maximum retry count exceeded, Please try again later.",
    ),
    "99999": ("Card Declined", "Card Declined"),
    "10050": ("FR-Rejected", _CONTACT_SELLER),
    "40000": (
        "Unable to Authenticate",
        "We cannot proceed with your transaction, unable to verify cardholder.",
    ),
    "40004": ("Cardholder not Participating", _NO_3D),
    "40005": ("Directory Server not Responding", _NO_3D),
    "40006": ("Authentication Failure", _NO_3D),
    "40007": ("3D Secure System Error", _NO_3D),
    "10001": ("Please call your bank for authorization", _CONTACT_BANK),
    "10003": ("Block The Card", _CONTACT_BANK),
    "30002": ("Invalid Transaction", _CONTACT_SELLER),
    "10010": ("Unidentified Issuer Bank", _TERMINATED),
    "30005": ("Cancellation could not be completed / The original could not be found", None),
    "10016": ("Too Many Pin Entry Attempts, Block the Card", _CONTACT_BANK),
    "10032": ("Invalid Date", _CHECK_CARD),
    "30118": ("The Request is not included in the Group's Allowed Day/Hour Setting", _NOT_NOW),
    "30128": ("Vpos Lock Control Failure", _NOT_NOW),
    "UNKNOWN_ERROR": ("Unknown Error", "An unexpected error has occurred, please try again later"),
    "9000": ("Preauth Transaction Cannot Void", "Preauth Transaction Cannot Void"),
    "9001": ("3D Fields Do Not Match", "3D Fields Do Not Match"),
    "40002": ("Cardholder or Issuer Bank not Enrolled in 3D Secure System", _NO_3D),
}

# The codes the sandbox itself answers with, named for what they mean here.
AUTHENTICATION_ERROR = "30013"  # bad or missing Basic credentials / publishable key
INCOMPATIBLE_DATA = "30009"  # missing Content-Type, unreadable JSON, field validation
INVALID_TRANSACTION = "30002"  # unknown token, or the sale's state forbids the request
INVALID_AMOUNT = "30003"  # refund beyond what remains
NOTHING_TO_CANCEL = "30005"  # cancel/refund of a sale with no payment left to take back
ORDER_ID_IN_USE = "30120"
PREAUTH_CANNOT_VOID = "9000"


def merchant_message(code: str) -> str:
    return ERROR_CODES[code][0]


def customer_message(code: str) -> str | None:
    return ERROR_CODES[code][1]


class Refusal(Exception):
    """Paytrek refuses the request: ``{"error_code", "error_message"[, "errors"]}`` with ``status``.

    ``errors`` maps a field to its messages (DRF's shape, which Paytrek's API is built on);
    PaytrekJS's tokenization answers carry it too ("card_token veya errors").
    """

    def __init__(
        self,
        status: int,
        code: str,
        errors: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code
        self.errors = errors
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "error_code": self.code,
            "error_message": merchant_message(self.code),
        }
        if self.errors:
            body["errors"] = dict(self.errors)
        return body
