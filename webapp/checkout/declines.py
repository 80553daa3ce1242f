"""What a customer reads when a card is declined, in Turkish and English.

Paytrek's table (webapp.providers.paytrek_errors) gives one English customer text per code; here
each distinct text is a translatable message, so the page speaks the customer's language.
Codes whose text is "-" in the document get a generic message.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

_MESSAGES = {
    "An unexpected error has occurred, please contact the seller.": _l(
        "An unexpected error has occurred, please contact the seller."
    ),
    "Transaction has been denied, please contact your bank": _l(
        "Transaction has been denied, please contact your bank."
    ),
    "Transaction has been denied, please contact your bank.": _l(
        "Transaction has been denied, please contact your bank."
    ),
    "Your transaction has been terminated, please check your card information.": _l(
        "Your transaction has been terminated, please check your card information."
    ),
    "Transaction has been denied, please check your card limit.": _l(
        "Transaction has been denied, please check your card limit."
    ),
    "Transaction has been denied, please check your card information.": _l(
        "Transaction has been denied, please check your card information."
    ),
    "The transaction has been denied, please proceed with another card.": _l(
        "The transaction has been denied, please proceed with another card."
    ),
    "We cannot complete your transaction at the moment, please contact the the seller.": _l(
        "We cannot complete your transaction at the moment, please contact the seller."
    ),
    "Maximum retry count exceeded, Please try again later.": _l(
        "Maximum retry count exceeded. Please try again later."
    ),
    "Card Declined": _l("Card declined."),
    "We cannot proceed with your transaction, unable to verify cardholder.": _l(
        "We cannot proceed with your transaction: the cardholder could not be verified."
    ),
    "We cannot proceed with your transaction, unable to perform 3D Secure Authentication.": _l(
        "We cannot proceed with your transaction: 3-D Secure authentication failed."
    ),
    "An unexpected error has occurred, please try again later": _l(
        "An unexpected error has occurred, please try again later."
    ),
}
# A second click while the first click's sale is still being created, for longer than it may take.
STILL_STARTING = _l("Your payment is still being prepared. Please try again in a moment.")
_GENERIC = _l("The payment was not completed. Please try again or choose another method.")


def customer_message(code: str | None, provider_text: str | None) -> str:
    """The translated text for Paytrek's customer message; never the raw provider text."""
    return str(_MESSAGES.get(provider_text or "", _GENERIC))
