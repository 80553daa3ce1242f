"""The staff console: every page needs a logged-in staff member."""

from webapp.console.views import bp

__all__ = ["bp"]
