"""Date arithmetic for the nareis timeline. Pure: no clock, no I/O, no language.

The facts behind the numbers live in `brug/flows/facts.yaml` (with sources); this module only counts.

How we count a term of months (our reading; keep it here and nowhere else):
- A term "of N months after X" starts on the day after X (for the nareis term: "the nareistermijn starts the
  day after the permit is granted"). It ends at the end of the day that has the same day number as X, N months
  later. Permit on 15 January → the term runs 16 January up to and including 15 April.
- When that month is shorter (there is no 31 April), the term ends on the last day of that month:
  permit on 30 November → the term ends on 28 February (29 in a leap year).
- We do not move a last day that falls on a weekend or a public holiday to the next working day, although
  the Algemene termijnenwet may allow that for some terms. Showing the earlier day is the safe side for
  people: nobody misses a deadline because they trusted our date.

So `last_day_of_term(x, n) == add_months(x, n)`; the functions below all go through it.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Final

APPLY_MONTHS: Final = 3  # nareis: apply within 3 months after the permit
DECISION_MONTHS: Final = 3  # the IND decides within 3 months after the application ...
DECISION_EXTENSION_MONTHS: Final = 3  # ... and may extend that by 3 months


def add_months(day: date, months: int) -> date:
    """The same day number `months` later (or earlier), clamped to the end of a shorter month."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def last_day_of_term(event: date, months: int) -> date:
    """The last day of a term of `months` months that starts the day after `event` (see the module doc)."""
    return add_months(event, months)


def apply_until(permit_date: date) -> date:
    """The last day to apply for nareis: the 3-month term starts the day after the permit is granted."""
    return last_day_of_term(permit_date, APPLY_MONTHS)


def decision_due(applied: date) -> date:
    """The last day of the IND's decision period: 3 months after the application."""
    return last_day_of_term(applied, DECISION_MONTHS)


def decision_due_extended(applied: date) -> date:
    """The last day if the IND extends its decision period by 3 months (6 months after the application)."""
    return last_day_of_term(applied, DECISION_MONTHS + DECISION_EXTENSION_MONTHS)


def days_between(start: date, end: date) -> int:
    """Whole days from `start` to `end`: 0 on the same day, negative when `end` is before `start`."""
    return (end - start).days
