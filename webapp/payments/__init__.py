"""Use cases: start and confirm checkouts, payouts and paylinks, apply provider events.

Callers (blueprints, CLI) own the request; this layer owns the transaction and never touches
``flask.request``. Status changes go through ``webapp.payments.status.transition`` only.
"""
