from pathlib import Path

import pytest

from brug.cli import main
from brug.core.settings import DEV_SECRET_KEY, SettingsError, load_settings


def test_defaults_serve_a_newcomer() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///./brug.db"
    assert settings.telegram_api_url == "https://api.telegram.org/bot"
    assert settings.telegram_bot_token is None
    assert not settings.webhook_mode


def test_settings_come_from_the_environment_and_dotenv(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=42:from-dotenv\nDATABASE_URL=sqlite:///./x.db\n")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://brug@db/brug")
    settings = load_settings()
    assert settings.telegram_bot_token == "42:from-dotenv"
    assert settings.database.get_backend_name() == "postgresql"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"telegram_bot_token": "no-colon-here"}, "TELEGRAM_BOT_TOKEN: expected the form"),
        ({"database_url": "not a url"}, "DATABASE_URL: not a database URL"),
        ({"database_url": "mysql://root@localhost/brug"}, "DATABASE_URL: unsupported database 'mysql'"),
        (
            {
                "brug_env": "production",
                "brug_secret_key": "x" * 40,
                "brug_webhook_url": "http://bot.example.org/hook",
                "brug_webhook_secret": "s3cret",
            },
            "BRUG_WEBHOOK_URL: must use https in production",
        ),
        ({"brug_webhook_url": "https://bot.example.org/hook"}, "BRUG_WEBHOOK_SECRET: required"),
        (
            {"brug_webhook_url": "https://bot.example.org/hook", "brug_webhook_secret": "has space"},
            "BRUG_WEBHOOK_SECRET: 1–256 characters",
        ),
        ({"brug_env": "production"}, "BRUG_SECRET_KEY: set a random key"),
        ({"brug_env": "production", "brug_secret_key": "short"}, "BRUG_SECRET_KEY: set a random key"),
    ],
)
def test_bad_settings_are_named_in_one_line(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(**overrides)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_development_accepts_plain_http_webhooks_and_the_dev_key() -> None:
    settings = load_settings(
        brug_webhook_url="http://127.0.0.1:8000/telegram/webhook", brug_webhook_secret="abc"
    )
    assert settings.webhook_mode
    assert settings.brug_secret_key == DEV_SECRET_KEY


def test_the_command_stops_with_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "missing-colon")
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err
    assert err == "brug: TELEGRAM_BOT_TOKEN: expected the form 123456789:ABC… as given by @BotFather\n"
    assert "Traceback" not in err


def test_empty_lines_from_the_example_file_mean_unset(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    example = Path(__file__).resolve().parents[2] / ".env.example"
    (tmp_path / ".env").write_text(example.read_text())
    settings = load_settings()
    assert settings.brug_secret_key == DEV_SECRET_KEY
    assert settings.telegram_bot_token is None
    assert settings.database_url == "sqlite:///./brug.db"
    assert not settings.webhook_mode
