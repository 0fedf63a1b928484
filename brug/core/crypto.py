"""Keyed pseudonyms: we store an HMAC of a Telegram user id, never the id itself."""

from __future__ import annotations

import hashlib
import hmac


def telegram_user_key(secret_key: str, telegram_user_id: int) -> str:
    """The stable pseudonymous key of a Telegram user; without BRUG_SECRET_KEY it cannot be reversed."""
    message = f"telegram-user:{telegram_user_id}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()
