"""Public pages: home, language switch, health checks."""

from webapp.pages.views import bp

__all__ = ["bp"]
