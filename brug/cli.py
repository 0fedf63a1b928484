"""`brug`: the one console command that starts and manages everything."""

from __future__ import annotations

import argparse
import getpass
import io
import logging
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from brug.core.crypto import new_data_key
from brug.core.db import create_db_engine, migrate, session_scope
from brug.core.keypersons import AccountError, create_key_person, parse_languages
from brug.core.keys import rotate_keys, unreadable_columns
from brug.core.models import Role, utcnow
from brug.core.settings import Settings, SettingsError, load_settings
from brug.core.staff import new_setup_token

BACK_OFFICE_ONLY_HINT = (
    "No TELEGRAM_BOT_TOKEN set: serving the back office only. To run the bot too, put "
    "TELEGRAM_BOT_TOKEN=<token from @BotFather> in .env and start again."
)


class CommandError(Exception):
    """Stops the command with one line for the operator and exit status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return int(args.command(args) or 0)
    except (SettingsError, CommandError, AccountError) as exc:
        print(f"brug: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="brug", description="Brug: Telegram bot and back office.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="migrate the database, then serve the back office and run the bot")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (more than one: PostgreSQL and webhook mode)",
    )
    run.set_defaults(command=_run)

    commands.add_parser("migrate", help="bring the database schema up to date").set_defaults(command=_migrate)
    commands.add_parser(
        "purge", help="remove what is older than BRUG_RETENTION_DAYS (the running bot does it daily)"
    ).set_defaults(command=_purge)

    keys = commands.add_parser("keys", help="the keys that encrypt chat ids and texts (BRUG_DATA_KEYS)")
    keys_commands = keys.add_subparsers(required=True, metavar="ACTION")
    keys_commands.add_parser("new", help="print a new random key").set_defaults(command=_keys_new)
    keys_commands.add_parser(
        "rotate", help="re-encrypt all stored data with the first key of BRUG_DATA_KEYS"
    ).set_defaults(command=_keys_rotate)

    keyperson = commands.add_parser("keyperson", help="manage key-person accounts")
    keyperson_commands = keyperson.add_subparsers(required=True, metavar="ACTION")
    add = keyperson_commands.add_parser("add", help="create a key person or coordinator")
    add.add_argument("username")
    add.add_argument("--name", required=True, help="first name shown to users")
    add.add_argument("--languages", required=True, help="comma list, e.g. ti,ar,fa_AF")
    add.add_argument("--role", choices=[role.value for role in Role], default=Role.KEYPERSON.value)
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(command=_keyperson_add)

    signals = commands.add_parser(
        "signals", help="detect stress signals: one message a line on stdin, one JSON object a line on stdout"
    )
    signals.add_argument("--report", metavar="FILE.jsonl", type=Path, help="evaluate against a labelled file")
    signals.set_defaults(command=_signals)

    flows = commands.add_parser("flows", help="check the conversation flows; list their facts for review")
    flows_commands = flows.add_subparsers(required=True, metavar="ACTION")
    flows_check = flows_commands.add_parser(
        "check", help="find every problem in the flows and their translations (exit status 1 if any)"
    )
    flows_check.add_argument("--dir", type=Path, help="flows directory (default: the packaged brug/flows)")
    flows_check.add_argument(
        "--locales",
        type=Path,
        help="catalogs directory, <language>/LC_MESSAGES/messages.po (default: packaged)",
    )
    flows_check.set_defaults(command=_flows_check)
    flows_facts = flows_commands.add_parser("facts", help="every fact with its source, oldest check first")
    flows_facts.add_argument("--dir", type=Path, help="flows directory (default: the packaged brug/flows)")
    flows_facts.set_defaults(command=_flows_facts)
    return parser


def _migrate(_args: argparse.Namespace) -> None:
    settings = load_settings()
    _migrate_database(settings)
    print(f"database schema is up to date: {settings.database.render_as_string(hide_password=True)}")


def _purge(_args: argparse.Namespace) -> None:
    from brug.core.privacy import run_purge

    settings = load_settings()
    _migrate_database(settings)
    engine = create_db_engine(settings.database, settings.vault)
    try:
        report = run_purge(engine, utcnow(), settings.brug_retention_days)
    finally:
        engine.dispose()
    print(f"older than {settings.brug_retention_days} days: {report}")


def _keys_new(_args: argparse.Namespace) -> None:
    print(new_data_key())


def _keys_rotate(_args: argparse.Namespace) -> None:
    settings = load_settings()
    _migrate_database(settings)
    engine = create_db_engine(settings.database, settings.vault)
    try:
        _check_keys(engine)
        rotated = rotate_keys(engine)
    finally:
        engine.dispose()
    print(f"re-encrypted {rotated} values with the first key; older keys can now leave BRUG_DATA_KEYS")


def _check_keys(engine: Engine) -> None:
    if unreadable := unreadable_columns(engine):
        raise CommandError(
            f"BRUG_DATA_KEYS: no key can read the stored {', '.join(unreadable)}; "
            "add the key that encrypted them (newest key first, then older ones)"
        )


def _migrate_database(settings: Settings) -> None:
    try:
        migrate(settings.database, settings.vault)
    except OperationalError as exc:
        where = settings.database.render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "no answer"
        raise CommandError(f"DATABASE_URL: cannot use the database at {where}: {reason}") from None


def _run(args: argparse.Namespace) -> None:
    import uvicorn

    from brug.service import build_app

    settings = load_settings()
    _migrate_database(settings)
    if settings.telegram_bot_token is None:
        print(BACK_OFFICE_ONLY_HINT, file=sys.stderr)
    _check_workers(settings, args.workers)
    engine = create_db_engine(settings.database, settings.vault)
    _check_keys(engine)
    _offer_first_account(settings, engine, f"http://{args.host}:{args.port}")
    if args.workers > 1:
        engine.dispose()
        uvicorn.run(
            "brug.service:app_from_environment",
            factory=True,
            workers=args.workers,
            host=args.host,
            port=args.port,
            log_level="info",
        )
        return
    uvicorn.run(build_app(settings, engine), host=args.host, port=args.port, log_level="info")


def _check_workers(settings: Settings, workers: int) -> None:
    """Several workers share one PostgreSQL database; Telegram gives updates to one long poller only."""
    if workers < 1:
        raise CommandError("--workers: at least 1")
    if workers == 1:
        return
    if settings.database.get_backend_name() != "postgresql":
        raise CommandError("--workers: more than one worker needs PostgreSQL (DATABASE_URL)")
    if settings.telegram_bot_token is not None and not settings.webhook_mode:
        raise CommandError("--workers: more than one worker needs webhook mode (BRUG_WEBHOOK_URL)")


def _offer_first_account(settings: Settings, engine: Engine, served_at: str) -> None:
    """With no account yet, print a one-time link (24 hours at most) to create the first coordinator."""
    with session_scope(engine) as session:
        token = new_setup_token(session, utcnow())
    if token is not None:
        base = settings.brug_public_url if "brug_public_url" in settings.model_fields_set else served_at
        link = f"{base.rstrip('/')}/setup/{token}"
        print(
            f"No back-office account yet. Create the first coordinator (works once, for 24 hours): {link}",
            file=sys.stderr,
        )


def _keyperson_add(args: argparse.Namespace) -> None:
    settings = load_settings()
    languages = parse_languages(args.languages)
    password = _read_password(args.password_stdin)
    _migrate_database(settings)
    with session_scope(create_db_engine(settings.database, settings.vault)) as session:
        person = create_key_person(
            session,
            username=args.username,
            name=args.name,
            languages=languages,
            role=Role(args.role),
            password=password,
        )
        print(f"created {person.role} {person.username} ({', '.join(person.languages)})")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CommandError("no terminal to ask for a password; use --password-stdin")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise CommandError("the two passwords differ")
    return first


def _signals(args: argparse.Namespace) -> None:
    from brug.bot.signals import report, run_stream

    if args.report is not None:
        if not args.report.is_file():
            raise CommandError(f"--report: no such file {args.report}")
        print(report(args.report))
        return
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", line_buffering=True)
    run_stream(stdin, stdout)
    stdout.flush()


def _flows_check(args: argparse.Namespace) -> int:
    from brug.core.flows import FlowError, check, load_flows

    try:
        flows = load_flows(args.dir)
    except FlowError as error:
        problems = list(error.problems)
    else:
        problems = check(flows, locales=args.locales)
    if problems:
        print("\n".join(problems))
        return 1
    nodes = sum(len(flow.nodes) for flow in flows.flows.values())
    print(f"{len(flows.flows)} flows, {nodes} nodes, {len(flows.facts)} facts: OK")
    return 0


def _flows_facts(args: argparse.Namespace) -> int:
    from brug.core.flows import FlowError, load_facts

    try:
        facts = load_facts(args.dir)
    except FlowError as error:
        print("\n".join(error.problems))
        return 1
    blocks = []
    for fact in sorted(facts.values(), key=lambda fact: (fact.checked, fact.id)):
        rows = [("status", fact.status), ("checked", fact.checked.isoformat()), ("source", fact.source)]
        rows += [("text", fact.text)] + ([("note", fact.note)] if fact.note else [])
        lines = [fact.id]
        for name, value in rows:
            paragraphs = value.splitlines() or [""]
            wrapped = [line for text in paragraphs for line in _wrap(text) or [""]]
            first, *rest = wrapped
            lines.append(f"  {name + ':':<9}{first}")
            lines.extend(f"{'':<11}{line}" for line in rest)
        blocks.append("\n".join(lines))
    print("\n\n".join(blocks) if blocks else "no facts")
    return 0


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, 90, break_long_words=False, break_on_hyphens=False)
