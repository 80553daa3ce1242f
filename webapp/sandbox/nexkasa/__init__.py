"""NexKasa simulated to the letter of nexkasa-api.txt and public-notes §3.

Deposit and withdraw requests authenticated by ``X-API-KEY``, decided by an operator, answered
with NexKasa's two callbacks. Switch ``deposit_response``: ``token`` (NexKasa's code at HEAD,
the default) or ``legacy`` (the guide's older ``transaction_id`` example).
"""

from ..registry import SandboxProvider
from . import api, operator, transactions

PROVIDER = SandboxProvider(
    name="nexkasa",
    title="NexKasa",
    api=api.bp,
    operator=operator.bp,
    pending_items=transactions.pending_items,
    switches={"deposit_response": ("token", "legacy")},
    config_keys=("NEXKASA_API_KEY", "NEXKASA_WEBHOOK_SECRET"),
)
