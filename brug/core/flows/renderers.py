"""Named renderers: Python that computes the placeholder values of a node with `render: <name>`.

A renderer gets the user's stored data (dates as ISO strings, as the date picker stores them), today's
date and the language, and returns a value for every field it names in `FIELDS` (the check makes sure a
node's texts use no other placeholders). A value it cannot compute is `MISSING`, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from functools import cache
from types import MappingProxyType
from typing import Final

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

from brug.core import timeline as tl

Renderer = Callable[[Mapping[str, str], date, str], dict[str, str]]

MISSING: Final = "—"


@cache
def _locale(language: str) -> Locale | None:
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return None


def format_day(day: date | None, language: str) -> str:
    """A date written out for the language ("31 januari 2026"); ISO if Babel does not know the language."""
    if day is None:
        return MISSING
    locale = _locale(language)
    if locale is None:
        return day.isoformat()
    return str(format_date(day, format="long", locale=locale))


def _stored_date(data: Mapping[str, str], key: str) -> date | None:
    value = data.get(key)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def timeline(data: Mapping[str, str], today: date, language: str) -> dict[str, str]:
    """The nareis dates from `permit_date` (and `applied_date`, once the family has applied)."""
    permit = _stored_date(data, "permit_date")
    applied = _stored_date(data, "applied_date")
    until = tl.apply_until(permit) if permit is not None else None
    # Today counts: on the last day one day is left (a 0 there would read as "too late").
    days_left = MISSING if until is None else str(max(0, tl.days_between(today, until) + 1))
    return {
        "permit_date": format_day(permit, language),
        "apply_until": format_day(until, language),
        "days_left_to_apply": days_left,
        "applied_date": format_day(applied, language),
        "decision_due": format_day(tl.decision_due(applied) if applied else None, language),
        "decision_due_extended": format_day(tl.decision_due_extended(applied) if applied else None, language),
    }


RENDERERS: Final[Mapping[str, Renderer]] = MappingProxyType({"timeline": timeline})

# The placeholders each renderer supplies.
FIELDS: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "timeline": frozenset(
            {
                "permit_date",
                "apply_until",
                "days_left_to_apply",
                "applied_date",
                "decision_due",
                "decision_due_extended",
            }
        ),
    }
)

# The stored user data each renderer reads: what an `ask_date: {store: ...}` may store.
INPUTS: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {"timeline": frozenset({"permit_date", "applied_date"})}
)
