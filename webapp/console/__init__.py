"""The staff console: every page needs a logged-in staff member."""

from webapp.console import (
    labels,
    payouts,  # noqa: F401  (registers the payout pages on bp)
    queue,  # noqa: F401  (registers the NexKasa queue on bp)
)
from webapp.console.views import bp

for _function in labels.TEMPLATE_GLOBALS:
    bp.add_app_template_global(_function)

__all__ = ["bp"]
