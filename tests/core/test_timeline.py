"""The nareis dates: months that end early, leap years, and the renderer that writes them out."""

from datetime import date

import pytest

from brug.core.flows.renderers import FIELDS, MISSING, format_day, timeline
from brug.core.timeline import add_months, apply_until, days_between, decision_due, decision_due_extended


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 15), 3, date(2026, 4, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2026, 1, 31), 3, date(2026, 4, 30)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),  # over the new year
        (date(2027, 11, 30), 3, date(2028, 2, 29)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2028, 2, 29), 48, date(2032, 2, 29)),
        (date(2026, 12, 31), 1, date(2027, 1, 31)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 1, 31), -2, date(2025, 11, 30)),
        (date(2026, 5, 17), 0, date(2026, 5, 17)),
    ],
)
def test_add_months_keeps_the_day_or_clamps_to_the_month_end(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_the_term_to_apply_starts_the_day_after_the_permit() -> None:
    # Permit on 15 January: the 3 months run 16 January up to and including 15 April.
    assert apply_until(date(2026, 1, 15)) == date(2026, 4, 15)
    assert apply_until(date(2026, 11, 30)) == date(2027, 2, 28)
    assert apply_until(date(2027, 11, 30)) == date(2028, 2, 29)
    assert apply_until(date(2026, 12, 31)) == date(2027, 3, 31)


def test_the_decision_period_and_its_extension() -> None:
    assert decision_due(date(2026, 8, 31)) == date(2026, 11, 30)
    assert decision_due_extended(date(2026, 8, 31)) == date(2027, 2, 28)
    assert decision_due_extended(date(2027, 8, 31)) == date(2028, 2, 29)
    assert decision_due(date(2026, 3, 10)) == date(2026, 6, 10)
    assert decision_due_extended(date(2026, 3, 10)) == date(2026, 9, 10)


def test_days_between() -> None:
    assert days_between(date(2026, 4, 1), date(2026, 4, 15)) == 14
    assert days_between(date(2026, 4, 15), date(2026, 4, 15)) == 0
    assert days_between(date(2026, 4, 16), date(2026, 4, 15)) == -1
    assert days_between(date(2027, 12, 31), date(2028, 12, 31)) == 366


def test_the_timeline_renderer_writes_dates_for_the_language() -> None:
    data = {"permit_date": "2026-01-15", "applied_date": "2026-03-10"}
    assert timeline(data, date(2026, 4, 1), "en") == {
        "permit_date": "January 15, 2026",
        "apply_until": "April 15, 2026",
        "days_left_to_apply": "15",
        "applied_date": "March 10, 2026",
        "decision_due": "June 10, 2026",
        "decision_due_extended": "September 10, 2026",
    }
    dutch = timeline(data, date(2026, 4, 1), "nl")
    assert (dutch["apply_until"], dutch["decision_due"]) == ("15 april 2026", "10 juni 2026")
    for language in ("ti", "ar", "fa_AF"):
        rendered = timeline(data, date(2026, 4, 1), language)
        assert set(rendered) == FIELDS["timeline"]
        assert "2026" in rendered["apply_until"] and rendered["apply_until"] != "2026-04-15", language


def test_the_timeline_renderer_without_dates_or_after_the_deadline() -> None:
    assert timeline({}, date(2026, 4, 1), "en") == dict.fromkeys(FIELDS["timeline"], MISSING)
    late = timeline({"permit_date": "2025-01-15"}, date(2026, 4, 1), "en")
    assert late["days_left_to_apply"] == "0"
    last_day = timeline({"permit_date": "2026-01-15"}, date(2026, 4, 15), "en")
    assert (last_day["apply_until"], last_day["days_left_to_apply"]) == ("April 15, 2026", "1")
    assert late["decision_due"] == late["applied_date"] == MISSING
    assert timeline({"permit_date": "15-01-2026"}, date(2026, 4, 1), "en")["permit_date"] == MISSING


def test_an_unknown_language_gets_iso_dates() -> None:
    assert format_day(date(2026, 4, 15), "xx") == "2026-04-15"
    assert format_day(None, "en") == MISSING
