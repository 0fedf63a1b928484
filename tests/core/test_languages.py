import pytest

from brug.core.languages import LANGUAGES, guess_language


@pytest.mark.parametrize(
    ("language_code", "expected"),
    [
        ("fa", "fa_AF"),
        ("fa-IR", "fa_AF"),
        ("ar", "ar"),
        ("ar-SY", "ar"),
        ("nl", "nl"),
        ("NL-be", "nl"),
        ("ti", "ti"),
        ("ti-ER", "ti"),
        ("am", "en"),
        ("en-GB", "en"),
        ("de", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_language_code_is_only_a_first_guess(language_code: str | None, expected: str) -> None:
    assert guess_language(language_code) == expected


def test_each_language_is_labelled_in_its_own_script() -> None:
    assert list(LANGUAGES.values()) == ["ትግርኛ", "العربية", "دری", "Nederlands", "English"]
