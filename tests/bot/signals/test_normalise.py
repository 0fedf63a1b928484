"""Each normalisation rule, checked on the normalised text and on what it means for matching."""

from __future__ import annotations

import pytest

from brug.bot.signals import detect
from brug.bot.signals.normalise import _WordCache, normalise


@pytest.mark.parametrize(
    ("variant", "plain"),
    [
        ("أنا", "انا"),
        ("إنسان", "انسان"),
        ("آخر", "اخر"),
        ("ٱلله", "الله"),
        ("على", "علي"),
        ("مدرسة", "مدرسه"),
        ("سؤال", "سوال"),
        ("مسائل", "مسايل"),
        ("كتاب", "کتاب"),
        ("زندگي", "زندگی"),
        ("انتظـــار", "انتظار"),
        ("مَدْرَسَةٌ", "مدرسه"),
        ("ٱلرَّحْمَٰن", "الرحمن"),
    ],
)
def test_arabic_script_variants_fold_to_one_form(variant: str, plain: str) -> None:
    assert normalise(variant) == normalise(plain)


def test_folded_arabic_letters_are_the_canonical_ones() -> None:
    assert normalise("أنا في المدرسة") == "انا فی المدرسه"


@pytest.mark.parametrize("spelling", ["می‌خواهم", "می خواهم", "میخواهم", "مي خواهم"])
def test_the_dari_verb_prefix_reads_alike_with_zwnj_space_or_joined(spelling: str) -> None:
    assert normalise(spelling) == "میخواهم"


def test_zwnj_is_removed_inside_words() -> None:
    assert normalise("بچه‌هایم") == normalise("بچههایم")


def test_persian_and_arabic_indic_digits_become_ascii() -> None:
    assert normalise("۱۲۳ ٤٥٦ 789") == "123 456 789"


def test_ethiopic_punctuation_is_stripped() -> None:
    assert normalise("ሰላም፣ ከመይ ኣለኻ። ጽቡቕ፤ እወ፡") == "ሰላም ከመይ አለኻ ጽቡቅ እወ"


@pytest.mark.parametrize(("variant", "plain"), [("ሠላም", "ሰላም"), ("ፀሓይ", "ጸሓይ"), ("ሡ", "ሱ"), ("ፆ", "ጾ")])
def test_only_the_safe_tigrinya_series_fold(variant: str, plain: str) -> None:
    assert normalise(variant) == plain


@pytest.mark.parametrize(("typed", "read"), [("ኣነ", "አነ"), ("ጽቡቕ", "ጽቡቅ"), ("ቐልጢፍ", "ቀልጢፍ"), ("ኣለኽ", "አለክ")])
def test_letters_that_phone_keyboards_lack_read_as_their_stand_ins(typed: str, read: str) -> None:
    assert normalise(typed) == normalise(read) == read


@pytest.mark.parametrize(("first", "second"), [("ሐ", "ሀ"), ("ዐ", "አ"), ("ሓ", "ሃ"), ("ቑ", "ቁ")])
def test_distinct_tigrinya_letters_stay_distinct(first: str, second: str) -> None:
    assert normalise(first) != normalise(second)


def test_tigrinya_apostrophe_clitic_becomes_a_separate_word() -> None:
    assert normalise("ኣይደልን'የ") == "አይደልን የ"


def test_latin_is_casefolded_and_stripped_of_accents() -> None:
    assert normalise("Café GEÏNTERESSEERD Straße") == "cafe geintereserd strase"


@pytest.mark.parametrize("stretched", ["noooo", "nooo", "no", "NOOOOOO!!!"])
def test_repeated_latin_letters_collapse(stretched: str) -> None:
    assert normalise(stretched) == "no"


def test_stretched_and_misspelt_words_still_match_the_lexicon() -> None:
    assert detect("i want to diiiiie").severity == "urgent"
    assert detect("i cant sleeeep at all").categories == ("health",)
    assert detect("i wana kil myself").severity == "urgent"


def test_letter_runs_in_other_scripts_collapse_from_three() -> None:
    assert normalise("تعبااااان") == "تعبان"
    assert normalise("ممكن") == "ممکن"


def test_apostrophes_vanish_from_latin_words() -> None:
    assert normalise("I don't, I can’t") == "i dont i cant"


def test_arabic_and_and_ma_joined_to_a_phrase_opening_are_split() -> None:
    assert normalise("ومابدي عيش") == normalise("و ما بدي عيش")
    assert normalise("مافي امل") == normalise("ما في امل")
    assert normalise("ماما") == "ماما"


def test_punctuation_and_emoji_separate_words() -> None:
    assert normalise("die😭😭...please") == "die please"


def test_blank_input_normalises_to_nothing() -> None:
    assert normalise("  \n\t ") == ""


def test_the_word_cache_starts_over_when_full_and_answers_alike() -> None:
    cache = _WordCache(2)
    assert [cache[word] for word in ["Sleeep", "تعبااان", "ሠላም", "Sleeep"]] == [
        "slep",
        "تعبان",
        "ሰላም",
        "slep",
    ]
    assert len(cache) <= 2
