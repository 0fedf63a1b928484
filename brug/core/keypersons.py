"""Key-person accounts: created from the command line now, by coordinators in the back office later."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from brug.core.languages import LANGUAGES
from brug.core.models import KeyPerson, Role
from brug.core.passwords import hash_password

USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")
MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A key-person account cannot be made as asked; the message says why, for the person at the keyboard."""


def parse_languages(text: str) -> list[str]:
    languages = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [language for language in languages if language not in LANGUAGES]
    if unknown or not languages:
        raise AccountError(f"languages must be a comma list of {', '.join(LANGUAGES)}; got {text!r}")
    return languages


def create_key_person(
    session: Session, *, username: str, name: str, languages: list[str], role: Role, password: str | None
) -> KeyPerson:
    if not USERNAME.match(username):
        raise AccountError("username: 2–64 characters, lower-case letters, digits, '.', '_' or '-'")
    if not name.strip():
        raise AccountError("name must not be empty")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if session.exec(select(KeyPerson).where(KeyPerson.username == username)).first():
        raise AccountError(f"a key person named {username!r} already exists")
    person = KeyPerson(
        username=username,
        name=name.strip(),
        languages=languages,
        role=role,
        password_hash=hash_password(password) if password is not None else None,
    )
    session.add(person)
    session.flush()
    return person
