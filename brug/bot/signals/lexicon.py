"""Lexicon files: load, validate and parse them into patterns the matcher can index.

Pattern syntax (see lexicons/README.md):
- words separated by spaces; a `*` at the start or end of a word lets it continue into a longer word
  ("kill* myself", "*موت");
- `(a|b|c)` stands for each alternative in turn ("(want|wish) to die"); an empty alternative makes the
  group optional ("(really|) want");
- `{name}` stands for the named word list `name` under `terms:` ("{want} .. {die}");
- ` .. ` separates slots that must appear in this order with at most `MAX_GAP` words between them;
- ` ... ` separates slots that must appear in this order anywhere in the same message, for cues that are
  weak alone and strong together ("{means} ... {tonight}").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from importlib.abc import Traversable
from typing import Final

import yaml  # type: ignore[import-untyped, unused-ignore]
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from brug.bot.signals.normalise import normalise

CATEGORIES: Final = (
    "crisis",
    "hopelessness",
    "health",
    "withdrawal",
    "family_pressure",
    "financial",
    "waiting_stress",
)
# Not a category: weak cues on which the bot asks directly whether the person thinks of ending their life.
ASK: Final = "ask"
LANGUAGES: Final = ("ti", "ar", "fa_AF", "nl", "en")
MAX_GAP: Final = 3
FAR: Final = 1 << 20
MAX_ALTERNATIVES: Final = 20_000
SPLIT_ABOVE: Final = 128
_GAP: Final = " .. "
_FAR_GAP: Final = " ... "
_WILDCARD: Final = "*"
_TERM: Final = re.compile(r"\{([a-z_0-9]+)\}")
_SPECIAL: Final = re.compile(r"[()|]")


class LexiconError(ValueError):
    """A lexicon file is malformed; the message starts with the file name."""


@dataclass(frozen=True, slots=True)
class Part:
    """A run of words searched for as one key; `open_start`/`open_end` let the edge words continue."""

    text: str
    open_start: bool
    open_end: bool

    @property
    def key(self) -> str:
        """The string searched for in the space-padded message; the spaces enforce word boundaries."""
        return f"{'' if self.open_start else ' '}{self.text}{'' if self.open_end else ' '}"


@dataclass(frozen=True, slots=True)
class Slot:
    """One position of a pattern: any of its alternatives, each a run of adjacent parts.

    An alternative has several parts only where a wildcard sits inside it ("kill* myself").
    `max_gap` is how many words may separate this slot from the one before.
    """

    alternatives: tuple[tuple[Part, ...], ...]
    max_gap: int


@dataclass(frozen=True)
class Pattern:
    """One lexicon line; an exception pattern cancels overlapping matches of its `category`."""

    language: str
    category: str
    source: str
    slots: tuple[Slot, ...]
    exception: bool = False

    @cached_property
    def gaps(self) -> tuple[int, ...]:
        return tuple(slot.max_gap for slot in self.slots)

    @cached_property
    def simple(self) -> bool:
        """True when any single key hit is a whole match: one slot, no alternative split by wildcards."""
        return len(self.slots) == 1 and all(
            len(alternative) == 1 for alternative in self.slots[0].alternatives
        )


class _LexiconFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    language: str
    markers: list[str] = Field(default_factory=list)
    terms: dict[str, list[str]] = Field(default_factory=dict)
    categories: dict[str, list[str]] = Field(default_factory=dict)
    ask: list[str] = Field(default_factory=list)
    exceptions: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"unknown language {value!r}; expected one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return _known(value, CATEGORIES)

    @field_validator("exceptions")
    @classmethod
    def _known_exceptions(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return _known(value, (*CATEGORIES, ASK))


def _known(sections: dict[str, list[str]], known: tuple[str, ...]) -> dict[str, list[str]]:
    unknown = sorted(set(sections) - set(known))
    if unknown:
        raise ValueError(f"unknown category {', '.join(map(repr, unknown))}")
    return sections


@dataclass(frozen=True)
class Lexicon:
    name: str
    language: str
    markers: frozenset[str]
    patterns: tuple[Pattern, ...]


def substitute_terms(source: str, terms: Mapping[str, list[str]]) -> str:
    """Replace every `{name}` by the group of that term's entries (which may use earlier terms)."""
    for _ in range(10):
        if "{" not in source:
            return source
        source = _TERM.sub(lambda m: _term_group(m.group(1), terms), source)
    raise ValueError(f"terms nest too deeply (a term uses itself?): {source[:80]!r}")


def _term_group(name: str, terms: Mapping[str, list[str]]) -> str:
    if name not in terms:
        raise ValueError(f"unknown term {{{name}}}")
    return "(" + "|".join(terms[name]) + ")"


def expand(source: str) -> list[str]:
    """Every combination of the `(a|b)` groups in `source`, in order; groups may nest."""
    results = [""]
    position = 0
    while position < len(source):
        if source[position] == "(":
            end = _closing(source, position)
            options = [
                option for choice in _split_top(source[position + 1 : end]) for option in expand(choice)
            ]
            position = end + 1
        elif source[position] in ")|":
            raise ValueError(f"unbalanced '(', ')' or '|' outside a group: {source!r}")
        else:
            special = _SPECIAL.search(source, position)
            end = special.start() if special else len(source)
            options = [source[position:end]]
            position = end
        results = [result + option for result in results for option in options]
        if len(results) > MAX_ALTERNATIVES:
            raise ValueError(f"more than {MAX_ALTERNATIVES} alternatives in one slot: {source[:80]!r}")
    return results


def _closing(source: str, opening: int) -> int:
    depth = 0
    for index in range(opening, len(source)):
        depth += {"(": 1, ")": -1}.get(source[index], 0)
        if depth == 0:
            return index
    raise ValueError(f"unbalanced '(', ')' or '|' outside a group: {source!r}")


def _split_outside_groups(text: str, separator: str) -> list[str]:
    """Split on the separators that are not inside a (nested) group."""
    pieces, depth, start = [], 0, 0
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == separator and depth == 0:
            pieces.append(text[start:index])
            start = index + 1
    return [*pieces, text[start:]]


def _split_top(inner: str) -> list[str]:
    """Split on the `|` that are not inside a nested group."""
    return _split_outside_groups(inner, "|")


def parse_pattern(
    source: str,
    *,
    language: str,
    category: str,
    exception: bool = False,
    terms: Mapping[str, list[str]] | None = None,
) -> Pattern:
    """Turn one lexicon line into a pattern; raises `ValueError` with the reason when it is malformed."""
    text = substitute_terms(source, terms or {})
    chunks = [
        (chunk, (FAR if far_index else 0) if index == 0 else MAX_GAP)
        for far_index, far in enumerate(text.split(_FAR_GAP))
        for index, chunk in enumerate(far.split(_GAP))
    ]
    if any(not chunk.strip() or ".." in chunk for chunk, _ in chunks):
        raise ValueError(f"'..' and '...' need a space and words on both sides: {source!r}")
    slots = tuple(slot for chunk, max_gap in chunks for slot in _parse_slot(chunk, max_gap))
    return Pattern(language=language, category=category, source=source, slots=slots, exception=exception)


def _parse_slot(chunk: str, max_gap: int) -> list[Slot]:
    """One slot per chunk, or several adjacent ones where its alternatives would multiply past
    `SPLIT_ABOVE`: "(a|b) (c|d)" can be found as "(a|b)" followed directly by "(c|d)", which keeps the
    automaton small without changing what matches."""
    slots = []
    for index, piece in enumerate(_split_chunk(chunk)):
        alternatives = dict.fromkeys(_parse_alternative(choice) for choice in _expand_unique(piece))
        slots.append(Slot(alternatives=tuple(alternatives), max_gap=max_gap if index == 0 else 0))
    return slots


def _split_chunk(chunk: str) -> list[str]:
    pieces: list[list[str]] = [[]]
    for word in _top_level_words(chunk):
        current = pieces[-1]
        too_many = current and len(expand(" ".join([*current, word]))) > SPLIT_ABOVE
        if too_many and not _can_be_empty(" ".join(current)) and not _can_be_empty(word):
            pieces.append([])
        pieces[-1].append(word)
    return [" ".join(words) for words in pieces]


def _top_level_words(chunk: str) -> list[str]:
    """Split at spaces outside groups, so every piece is a whole word (or group of words)."""
    return [word for word in _split_outside_groups(chunk, " ") if word]


def _can_be_empty(piece: str) -> bool:
    return any(not choice.strip() for choice in expand(piece))


def _expand_unique(chunk: str) -> list[str]:
    seen = dict.fromkeys(" ".join(choice.split()) for choice in expand(chunk))
    seen.pop("", None)
    if not seen:
        raise ValueError(f"a slot with nothing in it: {chunk!r}")
    return list(seen)


def _parse_alternative(choice: str) -> tuple[Part, ...]:
    """Split a phrase at its inner wildcards into adjacent parts."""
    pieces: list[list[str]] = [[]]
    for word in choice.split():
        if pieces[-1] and (word.startswith(_WILDCARD) or pieces[-1][-1].endswith(_WILDCARD)):
            pieces.append([])
        pieces[-1].append(word)
    return tuple(_parse_part(" ".join(words)) for words in pieces)


def _parse_part(phrase: str) -> Part:
    open_start = phrase.startswith(_WILDCARD)
    open_end = phrase.endswith(_WILDCARD) and len(phrase) > 1
    inner = phrase[1 if open_start else 0 : len(phrase) - 1 if open_end else len(phrase)]
    if _WILDCARD in inner:
        raise ValueError(f"'*' only at the start or end of a word: {phrase!r}")
    text = normalise(inner)
    if not text:
        raise ValueError(f"nothing left after normalisation: {phrase!r}")
    if (open_start or open_end) and len(text) < 2:
        raise ValueError(f"a wildcard word needs at least two letters: {phrase!r}")
    return Part(text=text, open_start=open_start, open_end=open_end)


def load_lexicon(file: Traversable) -> Lexicon:
    """Read and validate one YAML file; every error names the file."""
    name = file.name
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise LexiconError(f"{name}: not valid YAML: {error}") from error
    try:
        parsed = _LexiconFile.model_validate(data)
    except ValidationError as error:
        raise LexiconError(f"{name}: {_describe(error)}") from error
    return Lexicon(
        name=name,
        language=parsed.language,
        markers=frozenset(normalise(marker) for marker in parsed.markers),
        patterns=tuple(_patterns(name, parsed)),
    )


def _describe(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in error.errors())


def _patterns(name: str, parsed: _LexiconFile) -> Iterable[Pattern]:
    sections = [(category, entries, False) for category, entries in parsed.categories.items()]
    sections.append((ASK, parsed.ask, False))
    sections += [(category, entries, True) for category, entries in parsed.exceptions.items()]
    for category, entries, exception in sections:
        where = f"exceptions.{category}" if exception else category
        for entry in entries:
            try:
                yield parse_pattern(
                    entry,
                    language=parsed.language,
                    category=category,
                    exception=exception,
                    terms=parsed.terms,
                )
            except ValueError as error:
                raise LexiconError(f"{name}: {where}: {error}") from error


def load_lexicons(directory: Traversable | None = None) -> tuple[Lexicon, ...]:
    """Load every `*.yaml` in `directory` (default: the packaged lexicons), sorted by file name."""
    root = directory if directory is not None else resources.files("brug.bot.signals") / "lexicons"
    files = sorted((f for f in root.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)
    if not files:
        raise LexiconError(f"{root}: no lexicon files found")
    return tuple(load_lexicon(file) for file in files)
