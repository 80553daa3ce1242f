"""The merchant JSON API (Bearer API key). Errors: ``{"error": {code, message, field}}``."""

from webapp.api.views import bp

__all__ = ["bp"]
