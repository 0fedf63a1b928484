"""Find every lexicon pattern in a normalised message with one Aho-Corasick pass."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from functools import reduce
from itertools import chain
from operator import itemgetter, or_
from typing import Any, Final, NamedTuple, TypeVar

import ahocorasick  # type: ignore[import-not-found, unused-ignore]

from brug.bot.signals.lexicon import Lexicon, Pattern

# How a key is used in a pattern of several keys: slot, alternative and part index, how many parts that
# alternative has, and whether the part is open at its start and end.
_Use = tuple[int, int, int, int, bool, bool]
# Where a part, alternative or slot was found in the padded message: start, end, open start, open end.
# Open edges run on into the rest of their word. Plain tuples: this is the hot path.
_Span = tuple[int, int, bool, bool]
_T = TypeVar("_T")
# An automaton value is (key length, one-key patterns it completes, slot bits it fills, uses by pattern);
# a hit is (end, value).
_VALUE: Final = itemgetter(1)
_WHOLE: Final = itemgetter(1)
_MASK: Final = itemgetter(2)


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
        patterns = tuple(p for lexicon in lexicons for p in lexicon.patterns)
        slots = _SlotBits(patterns)
        self._automaton: Any = self._build(patterns, slots)
        slots.forget_offsets()
        self._slots = slots
        # Only what matching needs of each pattern is kept: the parsed Pattern objects (every alternative
        # of every slot, as Part objects) are many megabytes that the automaton already holds as keys.
        self._gaps = tuple(pattern.gaps for pattern in patterns)
        self._kinds = tuple((p.language, p.category) for p in patterns)
        self._sources = tuple(p.source for p in patterns)
        self._exceptions = frozenset(index for index, p in enumerate(patterns) if p.exception)

    @staticmethod
    def _build(patterns: tuple[Pattern, ...], slots: _SlotBits) -> Any:
        """Map each key to its length, the one-key patterns it completes, the slots it fills (as bits) and
        its uses in patterns of several keys.

        Many keys have equal values (the alternatives of one slot), so every value and each of its parts
        is built once and shared (`_Shared`): the same automaton in a fraction of the memory.
        """
        whole: dict[str, list[int]] = defaultdict(list)
        users: dict[str, dict[int, list[_Use]]] = defaultdict(dict)
        for p_index, pattern in enumerate(patterns):
            if pattern.simple:
                for (part,) in pattern.slots[0].alternatives:
                    whole[part.key].append(p_index)
                continue
            for s_index, slot in enumerate(pattern.slots):
                for a_index, alternative in enumerate(slot.alternatives):
                    size = len(alternative)
                    for part_index, part in enumerate(alternative):
                        # A part that is a whole alternative is used by its slot alone; which alternative
                        # it was matters only to reassemble the parts of a split one.
                        where = (a_index, part_index) if size > 1 else (0, 0)
                        use = (s_index, *where, size, part.open_start, part.open_end)
                        users[part.key].setdefault(p_index, []).append(use)
        shared = _Shared()
        automaton = ahocorasick.Automaton()
        for key in whole.keys() | users.keys():
            uses = shared.uses(users.get(key, {}))
            value = (len(key), shared(tuple(whole.get(key, ()))), shared(slots.mask(uses)), uses)
            automaton.add_word(key, shared.value(value))
        automaton.make_automaton()
        return automaton

    def find(self, normalised: str) -> list[Match]:
        """Matches in `normalised` (output of `normalise`), exceptions already applied.

        Positions in the returned matches are offsets into `normalised`. Only the patterns whose every slot
        was found are checked for order and gaps, and only as far as their first occurrence that no
        exception cancels.
        """
        padded = f" {normalised} "
        hits = list(self._automaton.iter(padded))
        return self._matches(padded, self._occurrences_by_pattern(padded, hits)) if hits else []

    def kinds(self, normalised: str) -> list[tuple[str, str]]:
        """The language and category of each match `find` would return, without positions.

        Positions are needed only where an exception might cancel a match; everywhere else the set of
        patterns found comes from a few operations over all hits at once, and a pattern of several slots
        is followed only to its first occurrence.
        """
        padded = f" {normalised} "
        hits = list(self._automaton.iter(padded))
        if not hits:
            return []
        values = list(map(_VALUE, hits))
        simple = set(chain.from_iterable(map(_WHOLE, values)))
        seen = reduce(or_, map(_MASK, values))
        complete = self._slots.complete(seen) if seen else []
        exceptions = self._exceptions
        if not (exceptions.isdisjoint(simple) and exceptions.isdisjoint(complete)):
            matches = self._matches(padded, self._occurrences_by_pattern(padded, hits))
            return [(match.language, match.category) for match in matches]
        kinds = self._kinds
        found = [kinds[p_index] for p_index in simple]
        for p_index in complete:
            gaps = self._gaps[p_index]
            if _occurs(padded, _slot_spans(padded, hits, p_index, len(gaps)), gaps):
                found.append(kinds[p_index])
        return found

    def excepted(self, normalised: str) -> set[str]:
        """The categories of the exceptions that occur in `normalised`, whether or not they cancel a match."""
        padded = f" {normalised} "
        hits = list(self._automaton.iter(padded))
        if not hits:
            return set()
        occurrences = self._occurrences_by_pattern(padded, hits)
        return {
            self._kinds[p_index][1]
            for p_index, spans in occurrences.items()
            if p_index in self._exceptions and next(iter(spans), None) is not None
        }

    def _occurrences_by_pattern(self, padded: str, hits: list[tuple[int, Any]]) -> dict[int, Iterable[_Span]]:
        """Where each found pattern occurs, by pattern: a list for one-key patterns, computed on demand
        for the others."""
        simple: dict[int, list[_Span]] = {}
        seen = 0
        for end, (length, whole, mask, _) in hits:
            for p_index in whole:
                simple.setdefault(p_index, []).append((end - length + 1, end + 1, False, False))
            seen |= mask
        occurrences: dict[int, Iterable[_Span]] = dict(simple)
        for p_index in self._slots.complete(seen) if seen else ():
            gaps = self._gaps[p_index]
            occurrences[p_index] = _occurrences(padded, _slot_spans(padded, hits, p_index, len(gaps)), gaps)
        return occurrences

    def _matches(self, padded: str, occurrences: dict[int, Iterable[_Span]]) -> list[Match]:
        """One match per pattern: its first occurrence that no exception of its category overlaps."""
        kinds, exceptions = self._kinds, self._exceptions
        blocked = [
            (kinds[p_index][1], *_trim(padded, span))
            for p_index, spans in occurrences.items()
            if p_index in exceptions
            for span in spans
        ]
        matches = []
        for p_index, spans in occurrences.items():
            if p_index in exceptions:
                continue
            language, category = kinds[p_index]
            for span in spans:
                start, end = _trim(padded, span)
                if not blocked or not _cancelled(category, start, end, blocked):
                    # Offsets in `normalised`, which is `padded` without its first space.
                    matches.append(Match(language, category, start - 1, end - 1, self._sources[p_index]))
                    break
        return matches


class _Shared:
    """One object per distinct immutable value: equal values built for different keys become one."""

    def __init__(self) -> None:
        self._seen: dict[Any, Any] = {}

    def __call__(self, value: _T) -> _T:
        return self._seen.setdefault(value, value)  # type: ignore[no-any-return]

    def uses(self, by_pattern: dict[int, list[_Use]]) -> dict[int, tuple[_Use, ...]]:
        """A key's uses by pattern; keys used the same way share one (never modified) dict."""
        items = tuple((p_index, self(tuple(map(self, found)))) for p_index, found in by_pattern.items())
        marker = ("uses", items)  # starts with a string: never equal to a value shared by __call__
        found = self._seen.get(marker)
        if found is None:
            found = self._seen[marker] = dict(items)
        return found

    def value(self, value: tuple[int, tuple[int, ...], int, dict[int, tuple[_Use, ...]]]) -> Any:
        """An automaton value; its dict of uses is already shared, so its identity stands for its content."""
        length, whole, mask, uses = value
        return self._seen.setdefault(("value", length, whole, mask, id(uses)), value)


class _SlotBits:
    """Which patterns of several slots had every slot found, in a few big-integer operations.

    Each pattern of k slots owns k adjacent bits and a guard bit above them. A key's mask sets the bits of
    the slots it fills; the masks of the keys in a message are OR-ed into `seen`. Adding a 1 at the lowest
    bit of every block carries into a block's guard bit exactly when all its k bits are set, and never
    further, since the guard bits of `seen` are 0.
    """

    def __init__(self, patterns: Sequence[Pattern]) -> None:
        self._offsets: dict[int, int] = {}
        self._pattern_at_guard: dict[int, int] = {}
        self._low = self._guards = 0
        offset = 0
        for p_index, pattern in enumerate(patterns):
            if pattern.simple:
                continue
            self._offsets[p_index] = offset
            self._low |= 1 << offset
            offset += len(pattern.slots)
            self._guards |= 1 << offset
            self._pattern_at_guard[offset] = p_index
            offset += 1

    def forget_offsets(self) -> None:
        """Drop what only `mask` needs, once the automaton is built."""
        self._offsets = {}

    def mask(self, uses: dict[int, tuple[_Use, ...]]) -> int:
        """The bits of the slots these uses (by pattern) fill."""
        bits = 0
        for p_index, found in uses.items():
            for use in found:
                bits |= 1 << (self._offsets[p_index] + use[0])
        return bits

    def complete(self, seen: int) -> list[int]:
        """The patterns all of whose slot bits are set in `seen`, in the order of their index."""
        carried = (seen + self._low) & self._guards
        patterns = []
        while carried:
            lowest = carried & -carried
            patterns.append(self._pattern_at_guard[lowest.bit_length() - 1])
            carried ^= lowest
        return patterns


def _slot_spans(padded: str, hits: list[tuple[int, Any]], p_index: int, slots: int) -> list[list[_Span]]:
    """Where each slot of one pattern was found, from the keys found in the message (in their order).

    An alternative split into parts by an inner wildcard counts where its parts follow each other.
    """
    spans: list[list[_Span]] = [[] for _ in range(slots)]
    split: dict[tuple[int, int, int], dict[int, list[_Span]]] | None = None
    for end, (length, _, _, uses) in hits:
        for s_index, a_index, part_index, size, open_start, open_end in uses.get(p_index, ()):
            span = (end - length + 1, end + 1, open_start, open_end)
            if size == 1:
                spans[s_index].append(span)
            else:
                if split is None:
                    split = {}
                split.setdefault((s_index, a_index, size), {}).setdefault(part_index, []).append(span)
    for (s_index, _, size), parts in split.items() if split else ():
        spans[s_index].extend(_occurrences(padded, [parts.get(i, []) for i in range(size)], (0,) * size))
    return spans


def _occurs(padded: str, spans: list[list[_Span]], gaps: Sequence[int]) -> bool:
    """Whether `_occurrences` would yield anything."""
    return next(_occurrences(padded, spans, gaps), None) is not None


def _occurrences(padded: str, spans: list[list[_Span]], gaps: Sequence[int]) -> Iterator[_Span]:
    """One occurrence per place the first slot was found, where the other slots (or parts) follow in order,
    each within its gap of the one before; in the order of the first slot; computed on demand."""
    for slot in spans:
        if not slot:
            return
        slot.sort()
    for first in spans[0]:
        last = _rest(padded, spans, gaps, 1, first)
        if last is not None:
            yield (first[0], last[1], first[2], last[3])


def _rest(
    padded: str, spans: list[list[_Span]], gaps: Sequence[int], index: int, current: _Span
) -> _Span | None:
    """The span of the last slot of a chain from slot `index` on that follows `current`, or None.

    Each candidate within the gap is tried in turn, not only the nearest: "a .. b .. c" occurs in
    "a b x b x x x c" through the second b, and a short alternative ("ma") must not hide a longer one
    ("ma ra") that the next slot needs.
    """
    if index == len(spans):
        return current
    max_gap = gaps[index]
    for candidate in spans[index]:
        if _gap(padded, current, candidate) <= max_gap:
            found = _rest(padded, spans, gaps, index + 1, candidate)
            if found is not None:
                return found
    return None


def _gap(padded: str, before: _Span, after: _Span) -> int:
    """Whole words between two spans; a large number when `after` does not come after `before`.

    A key may or may not have consumed the separating space, and an open edge runs on into the rest of its
    word; neither counts as a word in between. Words in `padded` are separated by single spaces, so the
    words lying wholly between the two are one fewer than the spaces from the last character of `before`
    to the first of `after`.
    """
    if after[0] < before[1] - 1:
        return 1 << 30
    return max(0, padded.count(" ", before[1] - 1, after[0] + 1) - 1)


def _trim(padded: str, span: _Span) -> tuple[int, int]:
    """Drop the boundary spaces a key consumed, so that neighbouring words do not count as overlapping."""
    start, end = span[0], span[1]
    return (start + (padded[start] == " "), end - (padded[end - 1] == " "))


def _cancelled(category: str, start: int, end: int, blocked: list[tuple[str, int, int]]) -> bool:
    return any(kind == category and start < b_end and b_start < end for kind, b_start, b_end in blocked)
