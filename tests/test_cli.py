"""The `brug` command as operators and other tools use it: real processes, real pipes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import URL
from sqlmodel import Session, select

from brug.cli import _offer_first_account
from brug.core.db import create_db_engine
from brug.core.models import KeyPerson
from brug.core.settings import load_settings
from tests.constants import VAULT


def brug(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "brug", *args],
        input=stdin, capture_output=True, text=True, encoding="utf-8", timeout=60, check=False,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def test_signals_reads_lines_and_writes_the_json_contract() -> None:
    result = brug("signals", stdin="I want to end my life\n\nhello, how are you?\nما في فايدة من شي\n")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [list(line) for line in lines] == [["text", "language", "severity", "categories"]] * 3
    crisis, hello, arabic = lines
    assert (crisis["text"], crisis["language"], crisis["severity"]) == (
        "I want to end my life",
        "en",
        "urgent",
    )
    assert "crisis" in crisis["categories"]
    assert (hello["severity"], hello["categories"]) == ("none", [])
    assert arabic["language"] == "ar" and arabic["text"] == "ما في فايدة من شي"


def test_signals_report_needs_an_existing_file(tmp_path: Path) -> None:
    result = brug("signals", "--report", str(tmp_path / "missing.jsonl"))
    assert result.returncode == 2
    assert result.stderr.startswith("brug: --report: no such file")


def test_keyperson_add_reads_the_password_from_stdin(database_url: URL) -> None:
    env = {"DATABASE_URL": database_url.render_as_string(hide_password=False)}
    args = ["keyperson", "add", "hawa", "--name", "Hawa", "--languages", "ti,nl", "--role", "keyperson"]
    created = brug(*args, "--password-stdin", stdin="a very good password\n", env=env)
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "created keyperson hawa (ti, nl)"
    again = brug(*args, "--password-stdin", stdin="a very good password\n", env=env)
    assert (again.returncode, again.stderr) == (2, "brug: a key person named 'hawa' already exists\n")
    engine = create_db_engine(database_url, VAULT)
    with Session(engine) as session:
        (person,) = session.exec(select(KeyPerson)).all()
    engine.dispose()
    assert person.password_hash is not None and "a very good password" not in person.password_hash


def test_keyperson_add_refuses_bad_input_with_one_line(database_url: URL) -> None:
    env = {"DATABASE_URL": database_url.render_as_string(hide_password=False)}
    cases = {
        (
            "--languages",
            "ti,prs",
        ): "brug: languages must be a comma list of ti, ar, fa_AF, nl, en; got 'ti,prs'\n",
        ("--languages", "ar"): "brug: password must have at least 10 characters\n",
    }
    for extra, message in cases.items():
        result = brug(
            "keyperson", "add", "amir", "--name", "Amir", *extra, "--password-stdin", stdin="short\n", env=env
        )
        assert (result.returncode, result.stderr) == (2, message)
    no_tty = brug("keyperson", "add", "amir", "--name", "Amir", "--languages", "ar", env=env)
    assert no_tty.stderr == "brug: no terminal to ask for a password; use --password-stdin\n"


def test_first_start_offers_a_one_time_setup_link_only_while_there_is_no_account(
    database_url: URL, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(brug_env="test", database_url=database_url.render_as_string(hide_password=False))
    engine = create_db_engine(database_url, VAULT)
    _offer_first_account(settings, engine, "http://127.0.0.1:8123")
    printed = capsys.readouterr().err
    assert "http://127.0.0.1:8123/setup/" in printed and "works once" in printed
    with Session(engine) as session:
        session.add(KeyPerson(username="sara", name="Sara", languages=["nl"], role="coordinator"))
        session.commit()
    _offer_first_account(settings, engine, "http://127.0.0.1:8123")
    assert capsys.readouterr().err == ""
    engine.dispose()


def test_purge_removes_old_data_and_prints_the_counts(database_url: URL) -> None:
    from datetime import timedelta

    from brug.core.db import session_scope
    from brug.core.models import Message, User, utcnow

    engine = create_db_engine(database_url, VAULT)
    long_ago = utcnow() - timedelta(days=31)
    with session_scope(engine) as session:
        user = User(telegram_key="k", chat_id=1, language="nl")
        session.add(user)
        session.flush()
        assert user.id is not None
        session.add(Message(user_id=user.id, direction="in", kind="text", text="oud", created_at=long_ago))
        session.add(Message(user_id=user.id, direction="in", kind="text", text="nieuw"))
    env = {"DATABASE_URL": database_url.render_as_string(hide_password=False), "BRUG_RETENTION_DAYS": "30"}
    result = brug("purge", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("older than 30 days: messages blanked: 1,"), result.stdout
    with Session(engine) as session:
        assert sorted(message.text for message in session.exec(select(Message))) == ["", "nieuw"]
    engine.dispose()
    refused = brug("purge", env={**env, "BRUG_RETENTION_DAYS": "0"})
    assert refused.returncode == 2 and refused.stderr.startswith("brug: BRUG_RETENTION_DAYS:"), refused.stderr
