"""Guess a message's language from its script, its function words and which lexicons matched it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Final

UNKNOWN: Final = "unknown"
_CANDIDATES: Final = {
    "ethiopic": ("ti",),
    "arabic": ("ar", "fa_AF"),
    "latin": ("en", "nl", "ti", "ar", "fa_AF"),
}
_MARKER_WEIGHT: Final = 2
_MATCH_WEIGHT: Final = 3
_LETTER_CAP: Final = 3
# Keyboards give them away: Persian layouts type ی ک (and پ چ ژ گ exist only there); Arabic ones type ي ك.
# Words with the article ال are Arabic too; Dari borrows only a few.
_PERSIAN_LETTERS: Final = "پچژگیک"
_ARABIC_LETTERS: Final = "يكةى"


def _script_table() -> dict[str, str]:
    ranges = {
        "latin": [(ord("a"), ord("z"))],
        "arabic": [(0x0600, 0x08FF), (0xFB50, 0xFEFF)],
        "ethiopic": [(0x1200, 0x139F), (0x2D80, 0x2DDF), (0xAB00, 0xAB2F)],
    }
    return {
        chr(code): script
        for script, spans in ranges.items()
        for low, high in spans
        for code in range(low, high + 1)
    }


_SCRIPT_OF_CHAR: Final = _script_table()
_first: Final = itemgetter(0)


def script_of(token: str) -> str | None:
    """The script of the first letter in `token` (digits are skipped: Arabizi writes "3am")."""
    script = _SCRIPT_OF_CHAR.get(token[:1])
    if script is not None:
        return script
    return next((found for char in token if (found := _SCRIPT_OF_CHAR.get(char))), None)


def dominant_script(tokens: Sequence[str]) -> str | None:
    """The script of most words; Latin words count half, as names and "IND" appear in every language."""
    scripts = list(map(_SCRIPT_OF_CHAR.get, map(_first, tokens)))
    if None in scripts:
        scripts = [found or script_of(token) for found, token in zip(scripts, tokens, strict=True)]
    latin, arabic, ethiopic = map(scripts.count, ("latin", "arabic", "ethiopic"))
    script, count = ("arabic", arabic) if arabic >= ethiopic else ("ethiopic", ethiopic)
    if count and 2 * count >= latin:
        return script
    return "latin" if latin else None


def identify(
    raw: str,
    tokens: list[str],
    markers: Mapping[str, tuple[str, ...]],
    matched: Mapping[str, int],
    hint: str | None,
) -> str:
    """`markers` maps a normalised word to the languages it points to; `matched` counts lexicon matches."""
    script = dominant_script(tokens)
    if script is None:
        return hint or UNKNOWN
    candidates = _CANDIDATES[script]
    if len(candidates) == 1:
        return candidates[0]
    scores = {language: _MATCH_WEIGHT * matched.get(language, 0) for language in candidates}
    for languages in filter(None, map(markers.get, tokens)):
        for language in languages:
            if language in scores:
                scores[language] += _MARKER_WEIGHT
    if script == "arabic":
        scores["fa_AF"] += min(_LETTER_CAP, sum(map(raw.count, _PERSIAN_LETTERS)))
        scores["ar"] += min(_LETTER_CAP, sum(map(raw.count, _ARABIC_LETTERS)))
        scores["ar"] += min(
            _LETTER_CAP, sum(1 for token in tokens if token.startswith("ال") and len(token) > 3)
        )
    return _best(scores, candidates, hint)


def _best(scores: Mapping[str, int], candidates: tuple[str, ...], hint: str | None) -> str:
    top = max(scores.values())
    if top == 0:
        return hint if hint in candidates else UNKNOWN
    leaders = [language for language in candidates if scores[language] == top]
    return hint if hint in leaders else leaders[0]
