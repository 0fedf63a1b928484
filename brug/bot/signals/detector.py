"""`detect`: severity, categories and language of one message."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from brug.bot.signals.language import UNKNOWN, identify
from brug.bot.signals.lexicon import ASK, CATEGORIES, LANGUAGES, Lexicon, load_lexicons
from brug.bot.signals.matcher import Matcher
from brug.bot.signals.model import UrgentModel, load_model
from brug.bot.signals.normalise import normalise

CRISIS = "crisis"
HOPELESSNESS = "hopelessness"
NONE, CONCERN, URGENT = "none", "concern", "urgent"
_ORDER = {category: index for index, category in enumerate(CATEGORIES)}
_ALL_LANGUAGES = frozenset(LANGUAGES)


@dataclass(frozen=True, slots=True)
class Detection:
    language: str
    severity: str
    categories: tuple[str, ...]
    # Not urgent, but reason to ask directly whether the person thinks of ending their life: hopelessness,
    # a cue from a lexicon's `ask` list, or the model's crisis score on a concern. Not part of `as_json`,
    # whose fields other tools depend on.
    ask: bool = False

    def as_json(self, text: str) -> dict[str, object]:
        """The object `brug signals` prints for `text`."""
        return {
            "text": text,
            "language": self.language,
            "severity": self.severity,
            "categories": list(self.categories),
        }


@dataclass(frozen=True)
class _Detector:
    matcher: Matcher
    markers: Mapping[str, tuple[str, ...]]
    model: UrgentModel


@cache
def _detector() -> _Detector:
    lexicons = load_lexicons()
    return _Detector(matcher=Matcher(lexicons), markers=_markers(lexicons), model=load_model())


def warm_up() -> None:
    """Load and index the lexicons now rather than on the first message (they take about a second)."""
    _detector()


def _markers(lexicons: tuple[Lexicon, ...]) -> dict[str, tuple[str, ...]]:
    languages: dict[str, set[str]] = {}
    for lexicon in lexicons:
        for marker in lexicon.markers:
            languages.setdefault(marker, set()).add(lexicon.language)
    return {marker: tuple(sorted(found)) for marker, found in languages.items()}


def detect(text: str, language_hint: str | None = None) -> Detection:
    """Classify one message.

    Crisis phrases of every language count, because people mix languages and a missed crisis costs far
    more than a false alarm. Concern phrases count for the identified language and the hint (all languages
    when the language is unknown), which keeps one language's ordinary words from alarming another's.
    Where nothing matches, the model (`model.py`) may still call the message urgent; where only concerns
    match, it sets `ask`, as weak cues and hopelessness do.
    """
    hint = _clean_hint(language_hint)
    normalised = normalise(text)
    if not normalised:
        return Detection(language=hint or UNKNOWN, severity=NONE, categories=())
    detector = _detector()
    kinds = detector.matcher.kinds(normalised)
    matched: dict[str, int] = {}
    for kind in kinds:
        if kind[1] != ASK:
            matched[kind[0]] = matched.get(kind[0], 0) + 1
    language = identify(text, normalised.split(), detector.markers, matched, hint)
    concern_languages = _ALL_LANGUAGES if language == UNKNOWN else {language, hint}
    found = frozenset(
        category for language, category in kinds if category == CRISIS or language in concern_languages
    )
    if CRISIS not in found and _model_says_urgent(detector, normalised, language, hint):
        # Where the lexicons found a concern, crisis-like wording is mostly the concern's own ("I can't
        # sleep anymore" beside "I can't go on"): ask rather than alarm.
        found |= {ASK} if found - {ASK} else {CRISIS}
    return _detection(language, found - {ASK}, ASK in found)


def _model_says_urgent(detector: _Detector, normalised: str, language: str, hint: str | None) -> bool:
    """The model's second opinion, unless a crisis exception occurs: an idiom the lexicons know ("this heat
    kills me", "I don't want to live in this AZC") is not a crisis, however much it sounds like one."""
    if language == UNKNOWN:
        language = hint or UNKNOWN
    model = detector.model
    return model.says_urgent(normalised, language) and CRISIS not in detector.matcher.excepted(normalised)


@cache
def _detection(language: str, categories: frozenset[str], cue: bool) -> Detection:
    """Detections are immutable and few distinct ones exist, so each is built once."""
    urgent = CRISIS in categories
    return Detection(
        language=language,
        severity=URGENT if urgent else CONCERN if categories else NONE,
        categories=tuple(sorted(categories, key=_ORDER.__getitem__)),
        ask=not urgent and (cue or HOPELESSNESS in categories),
    )


def _clean_hint(hint: str | None) -> str | None:
    if not hint:
        return None
    cleaned = hint.replace("-", "_")
    if cleaned.lower().startswith("fa"):
        return "fa_AF"
    return cleaned if cleaned in LANGUAGES else None
