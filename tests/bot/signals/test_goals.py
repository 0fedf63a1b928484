"""The detector's goals, per language, on the shared dev set, our held-out set and ordinary messages.

Counting rule (as in the report): urgent is found only when detected urgent; concern is found when detected
concern or urgent; a false alarm is a `none` message detected as concern or urgent.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

import pytest

from brug.bot.signals.evaluation import Scores, read_examples, run, score
from brug.bot.signals.lexicon import LANGUAGES

HERE = Path(__file__).resolve().parent
DEV_SET = Path(__file__).resolve().parents[3].parent / "shared" / "signals" / "dev.jsonl"
HELD_OUT = HERE / "heldout.jsonl"
ORDINARY = HERE / "ordinary.jsonl"

URGENT_RECALL = 0.97
URGENT_PRECISION = 0.85
CONCERN_RECALL = 0.85
FALSE_ALARMS = 0.05


def _scores(path: Path) -> dict[str, Scores]:
    if not path.exists():
        reason = f"{path} is missing (the shared dev set lives outside the repository)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return _scored(path)


@cache
def _scored(path: Path) -> dict[str, Scores]:
    """Detection over a whole file runs once per test session, not once per language."""
    return score(run(read_examples(path)))


def _below(value: float | None, goal: float) -> bool:
    return value is not None and value < goal


def _assert_goals(scores: Scores, where: str) -> None:
    urgent_precision, urgent_recall = scores.urgent()
    _, concern_recall = scores.concern()
    alarms = scores.false_alarms()
    problems = []
    if _below(urgent_recall.value, URGENT_RECALL):
        problems.append(f"urgent recall {urgent_recall} ({urgent_recall.hits}/{urgent_recall.total})")
    if _below(urgent_precision.value, URGENT_PRECISION):
        problems.append(
            f"urgent precision {urgent_precision} ({urgent_precision.hits}/{urgent_precision.total})"
        )
    if _below(concern_recall.value, CONCERN_RECALL):
        problems.append(f"concern recall {concern_recall} ({concern_recall.hits}/{concern_recall.total})")
    if alarms.value is not None and alarms.value > FALSE_ALARMS:
        problems.append(f"false alarms {alarms} ({alarms.hits}/{alarms.total})")
    assert not problems, f"{where}: {'; '.join(problems)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_goals_on_the_dev_set(language: str) -> None:
    scores = _scores(DEV_SET)
    assert scores[language].n == 30
    _assert_goals(scores[language], f"dev set, {language}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_goals_on_the_held_out_set(language: str) -> None:
    scores = _scores(HELD_OUT)
    assert scores[language].n >= 20
    _assert_goals(scores[language], f"held-out set, {language}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_ordinary_messages_rarely_alarm_and_never_as_crisis(language: str) -> None:
    scores = _scores(ORDINARY)[language]
    assert scores.n >= 20
    _assert_goals(scores, f"ordinary messages, {language}")
    assert scores.urgent()[0].total == 0, "an ordinary message was detected as urgent"


def test_held_out_set_is_balanced_enough_to_mean_something() -> None:
    scores = _scores(HELD_OUT)
    for language in LANGUAGES:
        counts = scores[language].counts
        expected = {
            s: sum(n for (e, _), n in counts.items() if e == s) for s in ("urgent", "concern", "none")
        }
        assert expected["urgent"] >= 6, (language, expected)
        assert expected["concern"] >= 8, (language, expected)
        assert expected["none"] >= 6, (language, expected)


def test_every_held_out_line_has_an_english_gloss() -> None:
    rows = [json.loads(line) for line in HELD_OUT.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert rows
    assert all(isinstance(row.get("en_gloss"), str) and row["en_gloss"].strip() for row in rows)
