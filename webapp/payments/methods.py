"""Payment methods a checkout may offer, and which provider serves each."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Method(StrEnum):
    CARD_HOSTED = "card_hosted"  # Paytrek's hosted payment page
    CARD_3DS = "card_3ds"  # card form on our page (PaytrekJS), then 3-D Secure
    PIENTEGRA_TRANSFER = "pientegra_transfer"
    NEXKASA_TRANSFER = "nexkasa_transfer"

    @property
    def provider(self) -> str:
        return _PROVIDERS[self]

    @property
    def is_card(self) -> bool:
        return self in (Method.CARD_HOSTED, Method.CARD_3DS)

    @property
    def label(self) -> str:
        return str(_LABELS[self])


_PROVIDERS = {
    Method.CARD_HOSTED: "paytrek",
    Method.CARD_3DS: "paytrek",
    Method.PIENTEGRA_TRANSFER: "pientegra",
    Method.NEXKASA_TRANSFER: "nexkasa",
}
_LABELS = {
    Method.CARD_HOSTED: _l("Card (Paytrek secure payment page)"),
    Method.CARD_3DS: _l("Card with 3-D Secure"),
    Method.PIENTEGRA_TRANSFER: _l("Bank transfer (Pientegra)"),
    Method.NEXKASA_TRANSFER: _l("Bank transfer (NexKasa)"),
}

DEFAULT_METHODS = (Method.CARD_HOSTED, Method.CARD_3DS)
# Bank transfers move Turkish lira between Turkish accounts only.
TRANSFER_CURRENCY = "TRY"
