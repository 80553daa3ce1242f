"""Inbound provider webhooks and callbacks (``/hooks/<provider>``).

Every handler verifies first (signature, token, allowed addresses), then stores the raw event
with its unique key in the same transaction that applies it (``webapp.payments.inbox``), answers
2xx to a duplicate and 4xx to a forgery, and never loses an event that verified. Each provider's
handler lives in its own module, imported here so it registers on ``bp``.
"""

import webapp.hooks.pientegra  # noqa: F401  (registers /hooks/pientegra on bp)
from webapp.hooks import nexkasa  # noqa: F401  (registers /hooks/nexkasa/<reference> on bp)
from webapp.hooks.blueprint import bp

__all__ = ["bp"]
