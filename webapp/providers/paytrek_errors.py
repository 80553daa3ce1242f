"""Paytrek's error-code table, verbatim from paytrek-api.txt "Hata Kodları" (public-notes §4.8).

Paytrek maps every bank's decline to one of these codes and sends it as ``error_code`` with
``error_message`` (paytrek-api.txt "Hata Kodları"), or inside a transaction's ``paytrek_error``.
The table gives both audiences' texts: ``merchant_message`` for staff, ``customer_message`` for
the paying customer, or None where the document has "-" (the caller then shows its own generic,
translated text). The texts, typos included ("the the seller"), are the document's: we look them
up, we do not edit them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class ErrorCode:
    code: str
    merchant_message: str
    customer_message: str | None  # None: the document's "-"


_CONTACT_SELLER = "An unexpected error has occurred, please contact the seller."
_CONTACT_BANK = "Transaction has been denied, please contact your bank."
_CHECK_CARD = "Transaction has been denied, please check your card information."
_TERMINATED = "Your transaction has been terminated, please check your card information."
_CANNOT_COMPLETE = (
    "We cannot complete your transaction at the moment, please contact the the seller."
)
_NO_3D_SECURE = (
    "We cannot proceed with your transaction, unable to perform 3D Secure Authentication."
)

# In the document's order; "-" in the customer column is None.
_TABLE: tuple[tuple[str, str, str | None], ...] = (
    ("30001", "Invalid Business Member", _CONTACT_SELLER),
    ("10004", "Transaction has been denied / General Rejection",
     "Transaction has been denied, please contact your bank"),  # no final "." in the document
    ("10006", "ID Control / Honor With Id", _CONTACT_BANK),
    ("30003", "Invalid Amount", _CONTACT_SELLER),
    ("10009", "Invalid Account / Card Number", _TERMINATED),
    ("10020", "Insufficient Limit", "Transaction has been denied, please check your card limit."),
    ("10023", "Card has Expired", _CHECK_CARD),
    ("10026", "The transaction has not been cleared to the cardholder", _CONTACT_BANK),
    ("10029", "Security Breach", _CONTACT_BANK),
    ("30009", "Incompatible data received", _CONTACT_SELLER),
    ("30011", "Encryption Error", _CONTACT_SELLER),
    ("10033", "Wrong / Invalid Cvv", _CHECK_CARD),
    ("30013", "Authentication Error", _CONTACT_SELLER),
    ("10038", "Rejection - Invalid Card",
     "The transaction has been denied, please proceed with another card."),
    ("30015", "Double Transaction Transfer", None),
    ("30016", "Daily Count Error/ Cancellation has been rejected", None),
    ("20015", "System Error", _CONTACT_SELLER),
    ("20017", "Connection Error", _CONTACT_SELLER),
    ("30033", "Incorrect Extra Point Parameter", _CONTACT_SELLER),
    ("30037", "Invalid Installment", _CONTACT_SELLER),
    ("30041", "Invalid Pos", _CONTACT_SELLER),
    ("30050", "End of the Day Transactions must be Completed", _CONTACT_SELLER),
    ("30053", "Invalid Currency", _CONTACT_SELLER),
    ("30090", "Invalid Repeating Payment Duration", None),
    ("10046", "The Request can be Fraud, Ip of cardholder did not clear the check", _CONTACT_BANK),
    ("30119", "Invalid Order Number.", _CANNOT_COMPLETE),
    ("30120", "Order Number is in Use", _CANNOT_COMPLETE),
    ("10049", "Maximum Retry Count Exceeded",
     "Maximum retry count exceeded, Please try again later."),
    ("99999", "Card Declined", "Card Declined"),
    ("10050", "FR-Rejected", _CONTACT_SELLER),
    ("40000", "Unable to Authenticate",
     "We cannot proceed with your transaction, unable to verify cardholder."),
    ("40004", "Cardholder not Participating", _NO_3D_SECURE),
    ("40005", "Directory Server not Responding", _NO_3D_SECURE),
    ("40006", "Authentication Failure", _NO_3D_SECURE),
    ("40007", "3D Secure System Error", _NO_3D_SECURE),
    ("10001", "Please call your bank for authorization", _CONTACT_BANK),
    ("10003", "Block The Card", _CONTACT_BANK),
    ("30002", "Invalid Transaction", _CONTACT_SELLER),
    ("10010", "Unidentified Issuer Bank", _TERMINATED),
    ("30005", "Cancellation could not be completed / The original could not be found", None),
    ("10016", "Too Many Pin Entry Attempts, Block the Card", _CONTACT_BANK),
    ("10032", "Invalid Date", _CHECK_CARD),
    ("30118", "The Request is not included in the Group's Allowed Day/Hour Setting",
     _CANNOT_COMPLETE),
    ("30128", "Vpos Lock Control Failure", _CANNOT_COMPLETE),
    ("UNKNOWN_ERROR", "Unknown Error", "An unexpected error has occurred, please try again later"),
    ("9000", "Preauth Transaction Cannot Void", "Preauth Transaction Cannot Void"),
    ("9001", "3D Fields Do Not Match", "3D Fields Do Not Match"),
    ("40002", "Cardholder or Issuer Bank not Enrolled in 3D Secure System", _NO_3D_SECURE),
)  # fmt: skip

ERROR_CODES: Mapping[str, ErrorCode] = MappingProxyType(
    {code: ErrorCode(code, merchant, customer) for code, merchant, customer in _TABLE}
)
"""Every code of the document's table (48), keyed by the code as Paytrek sends it."""
