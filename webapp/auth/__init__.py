"""Staff login and logout for the console."""

from webapp.auth.views import bp

__all__ = ["bp"]
