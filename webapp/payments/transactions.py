"""No transaction stays open while a provider answers.

A provider may take seconds (Paytrek's read timeout is 15 s). A transaction left open meanwhile
pins a pooled connection and its row locks on PostgreSQL, and on SQLite, where every transaction
of ours begins IMMEDIATE, the whole database: every other request of the site would wait. So each
use case commits what it prepared before the call and writes the answer in a fresh, short
transaction after it, re-reading (under a lock) whatever the answer changes.

The one exception is on purpose: staff's capture, cancel and refund (``card_operations``) keep the
checkout and the attempt locked through Paytrek's call, so two people can never refund one sale
twice. They are rare and staff-paced; a timeout there leaves the outcome unknown, as documented.
"""

from __future__ import annotations

from webapp.extensions import db


def release_before_call() -> None:
    """Commit what is pending and end the transaction; the next query starts a new one."""
    db.session.commit()
