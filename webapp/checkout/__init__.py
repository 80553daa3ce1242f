"""The pages an end customer pays on: checkout, card form, provider return and result."""

from webapp.checkout.views import bp

__all__ = ["bp"]
