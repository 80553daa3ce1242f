"""Merchants: who may create checkouts and payouts, and where their customers may be sent back."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.types import UTCDateTime, public_id, utcnow


def hash_api_key(api_key: str) -> str:
    """API keys are 256-bit random strings, so a plain SHA-256 is enough to make a stolen table
    useless; a slow password hash would only cost time on every API call."""
    return hashlib.sha256(api_key.encode()).hexdigest()


class Merchant(db.Model):
    __tablename__ = "merchants"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(
        String(32), unique=True, default=lambda: public_id("mer")
    )
    name: Mapped[str] = mapped_column(String(200))
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # HMAC key for signed checkout links: it must be readable to verify, so it is not hashed.
    link_secret: Mapped[str] = mapped_column(String(128))
    allowed_return_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A checkout fails for good only when this many attempts have failed.
    attempt_limit: Mapped[int] = mapped_column(default=5)
    # Where a payout goes when the merchant does not name a provider.
    default_payout_provider: Mapped[str] = mapped_column(String(16), default="pientegra")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @classmethod
    def create(cls, name: str, origins: list[str] | None = None) -> tuple[Merchant, str]:
        """A new merchant and its API key; the key is shown once and only its hash is kept."""
        api_key = "mk_" + secrets.token_urlsafe(32)
        merchant = cls(
            name=name,
            public_id=public_id("mer"),
            api_key_hash=hash_api_key(api_key),
            link_secret="ls_" + secrets.token_urlsafe(32),
            allowed_return_origins=list(origins or []),
        )
        return merchant, api_key

    def api_key_matches(self, api_key: str) -> bool:
        return hmac.compare_digest(self.api_key_hash, hash_api_key(api_key))
