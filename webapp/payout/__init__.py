"""The pages a customer receives money on: a merchant-signed payout link and the payout's status."""

from webapp.payout.views import bp

__all__ = ["bp"]
