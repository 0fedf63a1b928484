"""Find every lexicon pattern in a normalised message with one Aho-Corasick pass."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

import ahocorasick  # type: ignore[import-not-found, unused-ignore]

from brug.bot.signals.lexicon import Lexicon, Pattern

# Where a key is used: pattern, slot, alternative and part index.
_Ref = tuple[int, int, int, int]


class Span(NamedTuple):
    """Where a part, alternative or slot was found; open edges run on into the rest of their word."""

    start: int
    end: int
    open_start: bool
    open_end: bool


class Match(NamedTuple):
    language: str
    category: str
    start: int
    end: int
    source: str


class Matcher:
    """All patterns of all lexicons in one automaton.

    Exceptions are patterns too: a match that overlaps the span of an exception for its category is dropped,
    whatever language either came from ("dying of hunger" cancels a crisis match on "dying"; "can't wait to"
    cancels a waiting-stress match on "can't wait").
    """

    def __init__(self, lexicons: Iterable[Lexicon]) -> None:
        self._patterns: tuple[Pattern, ...] = tuple(p for lexicon in lexicons for p in lexicon.patterns)
        self._automaton: Any = self._build(self._patterns)
        self._all_slots = tuple((1 << len(p.slots)) - 1 for p in self._patterns)

    @staticmethod
    def _build(patterns: tuple[Pattern, ...]) -> Any:
        """Map each key to its length, the one-key patterns it completes, and its other uses."""
        whole: dict[str, list[int]] = defaultdict(list)
        users: dict[str, list[_Ref]] = defaultdict(list)
        for p_index, pattern in enumerate(patterns):
            if pattern.simple:
                for (part,) in pattern.slots[0].alternatives:
                    whole[part.key].append(p_index)
                continue
            for s_index, slot in enumerate(pattern.slots):
                for a_index, alternative in enumerate(slot.alternatives):
                    for part_index, part in enumerate(alternative):
                        users[part.key].append((p_index, s_index, a_index, part_index))
        automaton = ahocorasick.Automaton()
        for key in whole.keys() | users.keys():
            automaton.add_word(key, (len(key), tuple(whole.get(key, ())), tuple(users.get(key, ()))))
        automaton.make_automaton()
        return automaton

    def find(self, normalised: str) -> list[Match]:
        """Matches in `normalised` (output of `normalise`), exceptions already applied.

        Positions in the returned matches are offsets into `normalised`.
        """
        padded = f" {normalised} "
        found: dict[int, list[tuple[int, int]]] = {}
        partial: dict[int, list[Any]] = {}  # pattern → [bit set of slots seen, hits]
        for end, (length, whole, refs) in self._automaton.iter(padded):
            start = end - length + 1
            for p_index in whole:
                found.setdefault(p_index, []).append((start, end + 1))
            for ref in refs:
                entry = partial.get(ref[0])
                if entry is None:
                    entry = partial[ref[0]] = [0, []]
                entry[0] |= 1 << ref[1]
                entry[1].append((ref, start, end + 1))
        all_slots = self._all_slots
        for p_index, (slots_seen, hits) in partial.items():
            if slots_seen == all_slots[p_index]:
                spans = _find_pattern(padded, self._patterns[p_index], hits)
                if spans:
                    found[p_index] = [(span.start, span.end) for span in spans]
        return self._matches(padded, found)

    def _matches(self, padded: str, found: dict[int, list[tuple[int, int]]]) -> list[Match]:
        """One match per pattern: its first occurrence that no exception of its category overlaps."""
        patterns = self._patterns
        blocked = [
            (patterns[p_index].category, *_trim(padded, span))
            for p_index, spans in found.items()
            if patterns[p_index].exception
            for span in spans
        ]
        matches = []
        for p_index, spans in found.items():
            pattern = patterns[p_index]
            if pattern.exception:
                continue
            for span in spans:
                start, end = _trim(padded, span)
                if not blocked or not _cancelled(pattern.category, start, end, blocked):
                    # Offsets in `normalised`, which is `padded` without its first space.
                    matches.append(
                        Match(pattern.language, pattern.category, start - 1, end - 1, pattern.source)
                    )
                    break
        return matches


def _find_pattern(padded: str, pattern: Pattern, hits: list[tuple[_Ref, int, int]]) -> list[Span]:
    slots = pattern.slots
    slot_spans: list[list[Span]] = [[] for _ in slots]
    split: dict[tuple[int, int], dict[int, list[Span]]] = {}
    for (_, s_index, a_index, part_index), start, end in hits:
        alternative = slots[s_index].alternatives[a_index]
        part = alternative[part_index]
        span = Span(start, end, part.open_start, part.open_end)
        if len(alternative) == 1:
            slot_spans[s_index].append(span)
        else:
            split.setdefault((s_index, a_index), {}).setdefault(part_index, []).append(span)
    for (s_index, a_index), parts in split.items():
        size = len(slots[s_index].alternatives[a_index])
        slot_spans[s_index].extend(_sequences(padded, [parts.get(i, []) for i in range(size)], [0] * size))
    for spans in slot_spans:
        if not spans:
            return []
        spans.sort()
    return list(_sequences(padded, slot_spans, pattern.gaps))


def _sequences(padded: str, spans: list[list[Span]], gaps: Sequence[int]) -> Iterator[Span]:
    """Every occurrence of the slots (or parts) in order, each within its gap of the one before."""
    if not all(spans):
        return
    for first in spans[0]:
        span = _extend(padded, first, spans, gaps)
        if span is not None:
            yield span


def _extend(padded: str, first: Span, spans: list[list[Span]], gaps: Sequence[int]) -> Span | None:
    current = first
    for index in range(1, len(spans)):
        max_gap = gaps[index]
        following = next((c for c in spans[index] if _gap(padded, current, c) <= max_gap), None)
        if following is None:
            return None
        current = following
    return Span(first.start, current.end, first.open_start, current.open_end)


def _gap(padded: str, before: Span, after: Span) -> int:
    """Whole words between two spans; a large number when `after` does not come after `before`.

    A key may or may not have consumed the separating space, and an open edge runs on into the rest of its
    word; neither counts as a word in between.
    """
    if after.start < before.end - 1:
        return 1 << 30
    between = padded[before.end : after.start]
    if before.open_end and between and not between[0].isspace():
        between = between.partition(" ")[2]
    if after.open_start and between and not between[-1].isspace():
        between = between.rpartition(" ")[0]
    return len(between.split())


def _trim(padded: str, span: tuple[int, int]) -> tuple[int, int]:
    """Drop the boundary spaces a key consumed, so that neighbouring words do not count as overlapping."""
    start, end = span
    return (start + (padded[start] == " "), end - (padded[end - 1] == " "))


def _cancelled(category: str, start: int, end: int, blocked: list[tuple[str, int, int]]) -> bool:
    return any(kind == category and start < b_end and b_start < end for kind, b_start, b_end in blocked)
