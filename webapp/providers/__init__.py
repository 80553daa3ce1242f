"""Pure HTTP clients for each provider; no Flask, no DB.

One module per provider (``paytrek.py``, ``pientegra.py`` ...) holds a client class and its typed
request/response dataclasses. Every call goes through the one HTTP layer in ``_http.py``
(timeouts, retries for idempotent requests only, redacted logs) and every failure is raised as one
of the exceptions in ``errors.py``.

Layering: blueprints -> ``payments/`` -> ``providers/``. Nothing here imports ``flask``,
``sqlalchemy``, ``webapp.models`` or ``webapp.sandbox`` (an import-linter contract enforces it),
and nothing here reads app config: base URLs and credentials are passed in by the caller.
"""
