"""The five languages Brug speaks, and the first guess from Telegram's `language_code`."""

from __future__ import annotations

from typing import Final

# Each label in its own language and script, so a person finds their language without reading ours.
LANGUAGES: Final[dict[str, str]] = {
    "ti": "ትግርኛ",
    "ar": "العربية",
    "fa_AF": "دری",
    "nl": "Nederlands",
    "en": "English",
}
DEFAULT_LANGUAGE: Final = "en"
RIGHT_TO_LEFT: Final = frozenset({"ar", "fa_AF"})

_PREFIXES: Final = (("fa", "fa_AF"), ("ar", "ar"), ("nl", "nl"), ("ti", "ti"))


def guess_language(language_code: str | None) -> str:
    """Map Telegram's `language_code` (a guess from the phone's settings) to one of ours.

    Dari speakers' phones often say `fa`; Tigrinya speakers' say `en` or `am`, so this is only the
    starting point until the person taps a language.
    """
    code = (language_code or "").strip().lower()
    for prefix, language in _PREFIXES:
        if code.startswith(prefix):
            return language
    return DEFAULT_LANGUAGE


def is_supported(language: str) -> bool:
    return language in LANGUAGES
