"""Score the detector against labelled messages, and print the `brug signals --report` text.

Counting rule, the same in the report and in the tests: an urgent message is found only when the detector
says urgent; a concern message is found when it says concern or urgent (a louder alarm still reaches a key
person). Concern precision is the share of messages called concern that are labelled concern or urgent.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from brug.bot.signals.detector import CONCERN, NONE, URGENT, Detection, detect
from brug.bot.signals.lexicon import CATEGORIES, LANGUAGES

ALL = "all"
_NO_CATEGORY = "(none)"
_SEVERITIES = (NONE, CONCERN, URGENT)
_SIGNAL = (CONCERN, URGENT)


@dataclass(frozen=True)
class Example:
    id: str
    language: str
    text: str
    severity: str
    categories: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    example: Example
    detection: Detection


@dataclass(frozen=True)
class Ratio:
    hits: int
    total: int

    @property
    def value(self) -> float | None:
        return self.hits / self.total if self.total else None

    def __str__(self) -> str:
        return "  — " if self.value is None else f"{self.value:.2f}"


@dataclass
class Scores:
    """Counts for one language (or all), from which every figure in the report follows."""

    n: int = 0
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    language_right: int = 0
    # Expected severity → messages on which the bot would ask directly (not urgent, `ask` set).
    asked: Counter[str] = field(default_factory=Counter)

    def add(self, outcome: Outcome) -> None:
        self.n += 1
        self.counts[(outcome.example.severity, outcome.detection.severity)] += 1
        self.language_right += outcome.detection.language == outcome.example.language
        self.asked[outcome.example.severity] += outcome.detection.ask

    def _count(self, expected: Iterable[str], found: Iterable[str]) -> int:
        return sum(self.counts[(e, f)] for e in expected for f in set(found))

    def urgent(self) -> tuple[Ratio, Ratio]:
        """Precision and recall of `urgent`."""
        hits = self._count([URGENT], [URGENT])
        return Ratio(hits, self._count(_SEVERITIES, [URGENT])), Ratio(
            hits, self._count([URGENT], _SEVERITIES)
        )

    def concern(self) -> tuple[Ratio, Ratio]:
        """Precision and recall of `concern`, by the counting rule in the module docstring."""
        precision = Ratio(self._count(_SIGNAL, [CONCERN]), self._count(_SEVERITIES, [CONCERN]))
        recall = Ratio(self._count([CONCERN], _SIGNAL), self._count([CONCERN], _SEVERITIES))
        return precision, recall

    def any_signal(self) -> tuple[Ratio, Ratio]:
        """Precision and recall of "something is wrong" (concern or urgent) against `none`."""
        hits = self._count(_SIGNAL, _SIGNAL)
        return Ratio(hits, self._count(_SEVERITIES, _SIGNAL)), Ratio(hits, self._count(_SIGNAL, _SEVERITIES))

    def false_alarms(self) -> Ratio:
        return Ratio(self._count([NONE], _SIGNAL), self._count([NONE], _SEVERITIES))

    def urgent_reached(self) -> Ratio:
        """Urgent messages detected urgent, or on which the bot asks directly (the asked ones are counted
        by `asked`, since an urgent detection never asks)."""
        total = self._count([URGENT], _SEVERITIES)
        return Ratio(self._count([URGENT], [URGENT]) + self.asked[URGENT], total)

    def asked_share(self, severity: str) -> Ratio:
        return Ratio(self.asked[severity], self._count([severity], _SEVERITIES))


def read_examples(path: Path) -> list[Example]:
    """Read a labelled JSONL file; blank lines and lines starting with `#` are skipped."""
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            row = json.loads(line)
            examples.append(
                Example(
                    id=str(row.get("id", f"line-{number}")),
                    language=str(row["lang"]).replace("-", "_"),
                    text=str(row["text"]),
                    severity=_severity(row["severity"]),
                    categories=tuple(row.get("categories", ())),
                )
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path.name}:{number}: not a labelled message: {error}") from error
    return examples


def _severity(value: object) -> str:
    if value not in _SEVERITIES:
        raise ValueError(f"severity must be one of {', '.join(_SEVERITIES)}, not {value!r}")
    return str(value)


def run(examples: Iterable[Example]) -> list[Outcome]:
    """Detect every example without a language hint: the language must be recognised from the text."""
    return [Outcome(example, detect(example.text)) for example in examples]


def score(outcomes: Iterable[Outcome]) -> dict[str, Scores]:
    """Scores per language, plus `ALL`."""
    scores: dict[str, Scores] = defaultdict(Scores)
    for outcome in outcomes:
        scores[outcome.example.language].add(outcome)
        scores[ALL].add(outcome)
    return dict(scores)


def report(path: Path) -> str:
    """The plain-text report for one labelled JSONL file."""
    outcomes = run(read_examples(path))
    scores = score(outcomes)
    sections = [
        f"Stress-signal report for {path.name}: {len(outcomes)} messages, detected without a language hint.",
        "Urgent counts as found only when detected urgent; concern counts as found when detected concern"
        " or urgent.",
        "",
        _severity_table(scores),
        "",
        _ask_table(scores),
        "",
        _category_table(outcomes),
        "",
        _disagreements(outcomes),
    ]
    return "\n".join(sections).rstrip() + "\n"


def _f1(precision: Ratio, recall: Ratio) -> str:
    p, r = precision.value, recall.value
    if p is None or r is None or p + r == 0:
        return "  — "
    return f"{2 * p * r / (p + r):.2f}"


def _triple(pair: tuple[Ratio, Ratio]) -> str:
    precision, recall = pair
    return f"{precision} {recall} {_f1(precision, recall)}"


def _severity_table(scores: dict[str, Scores]) -> str:
    triple = "P    R    F1    "
    lines = [
        "Severity (P = precision, R = recall; language id = share identified correctly)",
        f"{'':<13}  {'urgent':<16}{'concern':<16}{'any signal':<16}{'false alarms':<15}language id",
        f"{'language':<9}{'n':>4}  {triple * 3}on none",
    ]
    for language in [*LANGUAGES, ALL]:
        s = scores.get(language)
        if s is None:
            continue
        alarms = s.false_alarms()
        figures = "  ".join(_triple(pair) for pair in (s.urgent(), s.concern(), s.any_signal()))
        alarm_text = f"{alarms} ({alarms.hits}/{alarms.total})"
        lines.append(f"{language:<9}{s.n:>4}  {figures}  {alarm_text:<15}{Ratio(s.language_right, s.n)}")
    return "\n".join(lines)


def _ask_table(scores: dict[str, Scores]) -> str:
    lines = [
        "Asked directly (on weak cues, hopelessness, or a concern the model scores as a crisis, the bot asks"
        " whether the person thinks of ending their life; a yes is urgent)",
        f"{'language':<9}{'urgent found or asked':>23}{'asked on urgent':>17}{'on concern':>12}"
        f"{'on none':>9}",
    ]
    for language in [*LANGUAGES, ALL]:
        s = scores.get(language)
        if s is None:
            continue
        shares = "".join(f"{s.asked_share(sev)!s:>{width}}" for sev, width in ((CONCERN, 12), (NONE, 9)))
        lines.append(f"{language:<9}{s.urgent_reached()!s:>23}{s.asked_share(URGENT)!s:>17}{shares}")
    return "\n".join(lines)


def _category_table(outcomes: list[Outcome]) -> str:
    labels = [*CATEGORIES, _NO_CATEGORY]
    table: Counter[tuple[str, str]] = Counter()
    for outcome in outcomes:
        expected = outcome.example.categories or (_NO_CATEGORY,)
        found = outcome.detection.categories or (_NO_CATEGORY,)
        table.update((e, f) for e in expected for f in found)
    lines = [
        "Categories: rows expected, columns found (a message adds 1 to every expected × found pair)",
        f"{'':<16}" + "".join(f"{label[:8]:>9}" for label in labels) + "   P    R",
    ]
    for row in labels:
        cells = "".join(f"{table[(row, col)]:>9}" for col in labels)
        precision, recall = _category_ratios(outcomes, row) if row != _NO_CATEGORY else (None, None)
        lines.append(f"{row:<16}{cells}   {precision or ''} {recall or ''}".rstrip())
    return "\n".join(lines)


def _category_ratios(outcomes: list[Outcome], category: str) -> tuple[Ratio, Ratio]:
    expected = [category in o.example.categories for o in outcomes]
    found = [category in o.detection.categories for o in outcomes]
    hits = sum(e and f for e, f in zip(expected, found, strict=True))
    return Ratio(hits, sum(found)), Ratio(hits, sum(expected))


def _disagreements(outcomes: list[Outcome]) -> str:
    wrong = [o for o in outcomes if o.detection.severity != o.example.severity]
    lines = [f"Severity disagreements: {len(wrong)}"]
    lines += [
        f"  {o.example.id:<10} expected {o.example.severity:<8} found {o.detection.severity:<8}"
        f"{','.join(o.detection.categories) or '-':<28} {o.example.text}"
        for o in wrong
    ]
    return "\n".join(lines)
