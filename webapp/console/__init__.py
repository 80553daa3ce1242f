"""The staff console: every page needs a logged-in staff member."""

from webapp.console import (
    payouts,  # noqa: F401  (registers the payout pages on bp)
    queue,  # noqa: F401  (registers the NexKasa queue on bp)
)
from webapp.console.views import bp

__all__ = ["bp"]
