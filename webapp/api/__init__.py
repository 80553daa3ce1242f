"""The merchant JSON API (Bearer API key). Errors: ``{"error": {code, message, field}}``."""

from webapp.api import payouts  # noqa: F401  (registers the payout routes on bp)
from webapp.api.views import bp

__all__ = ["bp"]
