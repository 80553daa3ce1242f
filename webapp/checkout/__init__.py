"""The pages an end customer pays on: checkout, card form, provider return and result."""

import webapp.checkout.pientegra_views  # noqa: F401  (registers its pages on bp)
from webapp.checkout import nexkasa_views  # noqa: F401  (registers its pages on bp)
from webapp.checkout.views import bp

__all__ = ["bp"]
