"""Paytrek simulated to the letter of paytrek-api.txt and public-notes §4, below ``/paytrek``.

The merchant API (``api``, ``vault``: HTTP Basic api_key:secret, ``Content-Type:
application/json`` on every call), the hosted payment form at ``/paytrek/?token=<sale_token>``
and the 3-D Secure page (``hosted``), PaytrekJS and its tokenization API (``paytrek_js``).
``sales`` holds the state rules, ``cards`` the sandbox's card network, ``codes`` the error
table. Every route hangs on one blueprint (``blueprint.bp``), so fault switches reach them all.

Test cards (``cards.TEST_CARDS``; any future expiry, CVC 000, 3-D password "a"):

================  ==========  ===  ==========================================
Number            Bank        3-D  Outcome
================  ==========  ===  ==========================================
4508034508034509  İşbank      no   approved (the document's İşbank/ING card)
4506347043358536  YKB         no   approved
4355084355084358  Akbank      yes  approved; 1, 3 or 6 installments
5456165456165454  Finansbank  yes  approved; 1, 3 or 6 installments
4111111111111111  sandbox     no   99999 Card Declined
4000000000100208  sandbox     no   10020 Insufficient Limit
4000000000100331  sandbox     no   10033 Wrong / Invalid Cvv
4000000000100232  sandbox     no   10023 Card has Expired
4000000000100091  sandbox     no   10009 Invalid Account / Card Number
4000000000100042  sandbox     no   10004 General Rejection
4000000000100380  sandbox     no   10038 Rejection - Invalid Card
4000000000200156  sandbox     no   20015 System Error
4000000000400061  sandbox     yes  40006 Authentication Failure, any password
================  ==========  ===  ==========================================

Any other number: 10009. An expiry before the sandbox clock's month: 10023. A wrong 3-D
password: 40006. An installment the card's bank does not offer: 30037.
"""

from ..registry import SandboxProvider
from . import api, hosted, paytrek_js, vault  # noqa: F401 - each registers its routes on bp
from .blueprint import bp

PROVIDER = SandboxProvider(
    name="paytrek",
    title="Paytrek",
    api=bp,
    config_keys=("PAYTREK_API_KEY", "PAYTREK_SECRET", "PAYTREK_PUBLISHABLE_KEY"),
)
