"""One normalisation for every script, applied alike to lexicon entries and to incoming messages.

Because both sides pass through the same function, folds only have to be consistent, not "correct": all
Arabic-script yeh forms become ی and all kaf forms ک, whichever language the text is in.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Final

_ARABIC_FOLDS: Final = {
    "ٱ": "ا",
    "ٲ": "ا",
    "ٳ": "ا",
    "ٵ": "ا",
    "ى": "ی",
    "ي": "ی",
    "ې": "ی",
    "ۍ": "ی",
    "ك": "ک",
    "ڪ": "ک",
    "ة": "ه",
    "ۃ": "ه",
    "ہ": "ه",
    "ھ": "ه",
    "ە": "ه",
}
# Tigrinya keeps ሐ/ሀ and ዐ/አ apart; only these two series are spelling variants of one sound.
_ETHIOPIC_SERIES_FOLDS: Final = ((0x1220, 0x1230, 8), (0x1340, 0x1338, 7))
# Phone keyboards made for Amharic often lack ቐ and ኸ, and people type አ for ኣ: the same words come written
# both ways, so these four letters are read as their keyboard stand-ins.
_ETHIOPIC_KEYBOARD_FOLDS: Final = {"ኣ": "አ", "ቕ": "ቅ", "ቐ": "ቀ", "ኽ": "ክ"}
_REMOVED: Final = "\u0640\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
_APOSTROPHES: Final = "'’‘ʼ´`"

_NON_WORD: Final = re.compile(r"[\W_]+")
_LATIN_RUN: Final = re.compile(r"([a-z])\1+")
_LONG_RUN: Final = re.compile(r"([^\W\d_])\1{2,}")
_ETHIOPIC_APOSTROPHE: Final = re.compile(r"(?<=[\u1200-\u139f])['’]")
# Arabic writes "and" and the negation "ma" joined to the next word ("وما", "مابدي", "ومااصحى"); split them
# off where the rest is a word that opens a lexicon phrase, so "ما بدي" and "مابدي" read alike.
_AFTER_MA: Final = frozenset(
    str.split(
        "عاد فی فینی عندی معی بعرف بقدر اقدر قدرت حدا بدی اصحی افیق فیق اقوم نام انام بنام نمت اکل باکل اکلت"
        " بطلع اطلع طلعت بشوف اشوف الی لی الها لها بیضل ضل بقی بیبقی یبقی اعیش عیش بتحمل اتحمل احتمل اکمل"
        " کمل بیرد یرد رد حد احد"
    )
)
_AFTER_WA: Final = frozenset(str.split("ما مش مو لا بدی انا هلق هسع کل صار صرلی عم"))
# "می خواهم", "می‌خواهم" and "میخواهم" are one word; after ZWNJ removal only the spaced form is left to join.
_DARI_PREFIX: Final = re.compile(r"(?:^| )(ن?می) (?=\S)")


@cache
def _table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for code in range(0x10000):
        if unicodedata.category(chr(code)) == "Mn":
            table[code] = None
    table.update((ord(c), None) for c in _REMOVED)
    table.update((ord(k), v) for k, v in _ARABIC_FOLDS.items())
    for base, digits in ((0x0660, 10), (0x06F0, 10)):
        table.update((base + i, str(i)) for i in range(digits))
    for source, target, count in _ETHIOPIC_SERIES_FOLDS:
        table.update((source + i, chr(target + i)) for i in range(count))
    table.update((ord(k), v) for k, v in _ETHIOPIC_KEYBOARD_FOLDS.items())
    return table


_PRE_TABLE: Final = {ord(c): None for c in _APOSTROPHES}


def normalise(text: str) -> str:
    """Return the words of `text` in canonical form, joined by single spaces.

    Latin letters are casefolded and stripped of accents, and every run of a repeated Latin letter is
    collapsed to one letter ("noooo" → "no", "sleep" → "slep", "mmot" → "mot"): stretched words, double-letter
    misspellings and the unstable gemination of Latin-typed Tigrinya then all meet the lexicon.
    In other scripts only runs of three or more are collapsed ("تعبااان" → "تعبان").
    """
    text = " ".join(filter(None, map(_WORDS.__getitem__, text.split())))
    if "می " in text:
        text = _DARI_PREFIX.sub(lambda m: m.group(0)[:-1], text)
    return text


class _WordCache(dict[str, str]):
    """Normalised words by raw word: chat vocabulary repeats a lot.

    A plain dict rather than `lru_cache`, whose recency bookkeeping costs more than the lookup; when full it
    starts over.
    """

    def __init__(self, size: int) -> None:
        super().__init__()
        self._size = size

    def __missing__(self, raw: str) -> str:
        if len(self) >= self._size:
            self.clear()
        word = self[raw] = _word(raw)
        return word


def _word(raw: str) -> str:
    """Normalise one whitespace-separated piece."""
    if raw.isascii():
        word = raw.replace("'", "").replace("`", "").lower()
        if not word.isalnum():
            word = _NON_WORD.sub(" ", word).strip()
        return _LATIN_RUN.sub(r"\1", word)
    if "'" in raw or "’" in raw:
        raw = _ETHIOPIC_APOSTROPHE.sub(" ", raw)
    word = unicodedata.normalize("NFKD", raw.translate(_PRE_TABLE)).casefold().translate(_table())
    word = _NON_WORD.sub(" ", word).strip()
    word = _LONG_RUN.sub(r"\1", _LATIN_RUN.sub(r"\1", word))
    return _split_joined(word)


def _split_joined(word: str) -> str:
    if word.startswith("و") and (word[1:] in _AFTER_WA or (word[1:3] == "ما" and word[3:] in _AFTER_MA)):
        return f"و {_split_joined(word[1:])}"
    if word.startswith("ما") and word[2:] in _AFTER_MA:
        return f"ما {word[2:]}"
    return word


_WORDS: Final = _WordCache(1 << 16)
