"""Keyed pseudonyms and encryption at rest.

Telegram user and chat ids are stored only as keyed HMACs where we need to find or group by them, and
encrypted where we need them back (to reply). Message texts are encrypted too. `Vault` holds both keys:
BRUG_SECRET_KEY for the HMACs (it must never change, or returning users are not recognised) and
BRUG_DATA_KEYS for encryption (Fernet, AES-128-CBC with HMAC-SHA256; several keys for rotation: the
first encrypts, all decrypt).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = ["InvalidToken", "Vault", "new_data_key", "telegram_user_key"]


def telegram_user_key(secret_key: str, telegram_user_id: int) -> str:
    """The stable pseudonymous key of a Telegram user; without BRUG_SECRET_KEY it cannot be reversed."""
    return _hmac(secret_key, f"telegram-user:{telegram_user_id}")


def _hmac(secret_key: str, message: str) -> str:
    return hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).hexdigest()


def new_data_key() -> str:
    """A fresh random key for BRUG_DATA_KEYS."""
    return Fernet.generate_key().decode()


def development_data_key(seed: str) -> str:
    """A fixed key derived from `seed`, for development and tests only (settings refuse it in production)."""
    return base64.urlsafe_b64encode(hashlib.sha256(seed.encode()).digest()).decode()


class Vault:
    """The keys of one deployment. Engines carry one (`brug.core.db.create_db_engine`)."""

    def __init__(self, secret_key: str, data_keys: Sequence[str]) -> None:
        if not data_keys:
            raise ValueError("at least one data key is needed")
        self._secret_key = secret_key
        self._fernet = MultiFernet([Fernet(key) for key in data_keys])

    def user_key(self, telegram_user_id: int) -> str:
        return telegram_user_key(self._secret_key, telegram_user_id)

    def chat_key(self, chat_id: int) -> str:
        """Groups a chat's rows (per-chat order) without storing the chat id in clear."""
        return _hmac(self._secret_key, f"telegram-chat:{chat_id}")

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Raises InvalidToken when no key in BRUG_DATA_KEYS made this token."""
        return self._fernet.decrypt(token.encode("ascii")).decode()

    def can_decrypt(self, token: str) -> bool:
        try:
            self.decrypt(token)
        except (InvalidToken, UnicodeError):
            return False
        return True

    def rotate(self, token: str) -> str:
        """The same plain text, encrypted again with the first (newest) key."""
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")
