"""The matcher's fast paths against their plain definitions: `kinds` against `find`, the word gap against
slicing and splitting, and the slot bits against checking every slot."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path

import pytest

from brug.bot.signals.detector import _detector
from brug.bot.signals.lexicon import parse_pattern
from brug.bot.signals.matcher import _gap, _SlotBits, _Span
from brug.bot.signals.normalise import normalise

HERE = Path(__file__).resolve().parent
DEV_SET = Path(__file__).resolve().parents[3].parent / "shared" / "signals" / "dev.jsonl"


def _sentences() -> list[str]:
    files = [HERE / "heldout.jsonl", HERE / "ordinary.jsonl", *sorted((HERE / "blind").glob("*.jsonl"))]
    texts = [
        json.loads(line)["text"]
        for path in [*files, DEV_SET]
        if path.exists()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return [
        *texts,
        "I'm dying of hunger and I want to kill myself",
        "the waiting is killing me",
        "I can't wait to see my wife, I can't wait any longer for the IND",
        "متت من الضحك بس بدي موت",
    ]


def test_kinds_are_the_language_and_category_of_what_find_returns() -> None:
    matcher = _detector().matcher
    for text in _sentences():
        normalised = normalise(text)
        expected = Counter((match.language, match.category) for match in matcher.find(normalised))
        assert Counter(matcher.kinds(normalised)) == expected, text


def _gap_by_slicing(padded: str, before: _Span, after: _Span) -> int:
    """The definition: cut out what lies between, drop the rest of a word an open edge runs into."""
    if after[0] < before[1] - 1:
        return 1 << 30
    between = padded[before[1] : after[0]]
    if before[3] and between and not between[0].isspace():
        between = between.partition(" ")[2]
    if after[2] and between and not between[-1].isspace():
        between = between.rpartition(" ")[0]
    return len(between.split())


def _key_spans(padded: str) -> list[_Span]:
    """Every span a key could have: a closed edge is a space, an open edge a letter."""
    return [
        (start, end, padded[start] != " ", padded[end - 1] != " ")
        for start, end in itertools.combinations(range(len(padded) + 1), 2)
        if padded[start:end].strip()
    ]


@pytest.mark.parametrize("normalised", ["a", "ab cd", "a bc d", "abc d ef g", "x yz x yz x"])
def test_the_gap_counts_the_words_wholly_between_two_spans(normalised: str) -> None:
    padded = f" {normalised} "
    spans = _key_spans(padded)
    for before, after in itertools.product(spans, spans):
        assert _gap(padded, before, after) == _gap_by_slicing(padded, before, after), (before, after)


def test_slot_bits_flag_exactly_the_patterns_with_every_slot_seen() -> None:
    patterns = [
        parse_pattern(source, language="en", category="crisis")
        for source in ["want .. die", "alone", "no .. money .. left", "kill* myself", "end .. it"]
    ]
    bits = _SlotBits(patterns)
    slots = [
        (index, slot) for index, p in enumerate(patterns) if not p.simple for slot in range(len(p.slots))
    ]
    for chosen in itertools.chain.from_iterable(
        itertools.combinations(slots, size) for size in range(len(slots) + 1)
    ):
        seen = 0
        for index, slot in chosen:
            seen |= bits.mask({index: ((slot, 0, 0, 1, False, False),)})
        expected = [
            index
            for index, p in enumerate(patterns)
            if not p.simple and all((index, slot) in chosen for slot in range(len(p.slots)))
        ]
        assert bits.complete(seen) == expected
