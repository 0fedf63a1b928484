"""All configuration in one pydantic-settings class, read from the environment or a `.env` file."""

from __future__ import annotations

from functools import cached_property
from typing import Literal
from urllib.parse import urlparse

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from brug.core.crypto import Vault, development_data_key

DEV_SECRET_KEY = "brug-development-key-not-for-production"  # noqa: S105  only accepted outside production
DEV_DATA_KEY = development_data_key(DEV_SECRET_KEY)
RETENTION_DAYS = 180


class SettingsError(Exception):
    """A setting is wrong; the message names the setting and is meant for the operator, in one line."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    brug_env: Literal["development", "production", "test"] = "development"
    telegram_bot_token: str | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    database_url: str = "sqlite:///./brug.db"
    brug_secret_key: str = DEV_SECRET_KEY
    # Keys that encrypt chat ids and texts at rest, comma-separated, newest first (see docs/privacy.md).
    brug_data_keys: str = DEV_DATA_KEY
    brug_webhook_url: str | None = None
    brug_webhook_secret: str | None = None
    telegram_poll_timeout: int = Field(default=30, ge=0, le=50)
    # The bot's @username without "@", for key persons' invite links (t.me/<name>?start=<code>).
    telegram_bot_username: str | None = None
    # Where key persons reach the back office; used in links sent to them.
    brug_public_url: str = "http://127.0.0.1:8000"
    # An urgent case nobody claimed in this time is sent again to all coordinators.
    brug_repage_minutes: int = Field(default=10, ge=1, le=24 * 60)
    # A returning user's case is offered only to their former key person (and backup) for this long.
    brug_sticky_minutes: int = Field(default=30, ge=0, le=7 * 24 * 60)
    # Message texts, handled updates, sent calls and the notes of closed cases are removed after this.
    brug_retention_days: int = Field(default=RETENTION_DAYS, ge=1)
    # A bearer token for Prometheus to scrape /metrics; unset: only logged-in coordinators may read it.
    brug_metrics_token: str | None = Field(default=None, min_length=32)

    @field_validator(
        "telegram_bot_token",
        "brug_webhook_url",
        "brug_webhook_secret",
        "telegram_bot_username",
        "brug_metrics_token",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("brug_secret_key", "brug_data_keys", "telegram_api_url", "database_url", mode="before")
    @classmethod
    def _blank_is_default(cls, value: object, info: ValidationInfo) -> object:
        """`KEY=` in a copied .env.example means "not set", not "the empty string"."""
        if isinstance(value, str) and not value.strip():
            return cls.model_fields[str(info.field_name)].default
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: str | None) -> str | None:
        if value is not None and (":" not in value or not value.split(":", 1)[0].isdigit()):
            raise ValueError("expected the form 123456789:ABC… as given by @BotFather")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url_shape(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "not a database URL; use sqlite:///./brug.db or postgresql+psycopg://…"
            ) from None
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError(f"unsupported database {url.get_backend_name()!r}; use sqlite or postgresql")
        return value

    @field_validator("brug_data_keys")
    @classmethod
    def _data_keys_shape(cls, value: str) -> str:
        keys = [key.strip() for key in value.split(",")]
        try:
            Vault("", keys)
        except ValueError:
            raise ValueError("expected keys made by `brug keys new`, separated by commas") from None
        return ",".join(keys)

    @field_validator("brug_webhook_secret")
    @classmethod
    def _webhook_secret_shape(cls, value: str | None) -> str | None:
        allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
        if value is not None and not (1 <= len(value) <= 256 and set(value) <= allowed):
            raise ValueError("1–256 characters, only A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value

    @model_validator(mode="after")
    def _production_rules(self) -> Settings:
        webhook = self.brug_webhook_url
        if webhook is not None:
            scheme = urlparse(webhook).scheme
            if scheme not in {"http", "https"}:
                raise ValueError("BRUG_WEBHOOK_URL: must be an http(s) URL")
            if self.brug_env == "production" and scheme != "https":
                raise ValueError("BRUG_WEBHOOK_URL: must use https in production (Telegram requires it)")
            if self.brug_webhook_secret is None:
                raise ValueError("BRUG_WEBHOOK_SECRET: required when BRUG_WEBHOOK_URL is set")
        if self.brug_env == "production" and (
            self.brug_secret_key == DEV_SECRET_KEY or len(self.brug_secret_key) < 32
        ):
            raise ValueError("BRUG_SECRET_KEY: set a random key of at least 32 characters in production")
        if self.brug_env == "production" and DEV_DATA_KEY in self.brug_data_keys.split(","):
            raise ValueError("BRUG_DATA_KEYS: set your own key in production (`brug keys new` makes one)")
        return self

    @cached_property
    def database(self) -> URL:
        return make_url(self.database_url)

    @cached_property
    def vault(self) -> Vault:
        return Vault(self.brug_secret_key, self.brug_data_keys.split(","))

    @property
    def secure_cookies(self) -> bool:
        return urlparse(self.brug_public_url).scheme == "https"

    @property
    def webhook_mode(self) -> bool:
        return self.brug_webhook_url is not None


def load_settings(**overrides: object) -> Settings:
    """Read the settings; on a bad value raise SettingsError with one line naming the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = "_".join(str(part) for part in error["loc"]).upper()
        message = str(error["msg"]).removeprefix("Value error, ")
        if not name or ":" in message.split(" ", 1)[0]:
            raise SettingsError(message) from None
        raise SettingsError(f"{name}: {message}") from None
