"""`detect`: the contract others rely on, exceptions, mixed languages and language identification."""

from __future__ import annotations

import pytest

from brug.bot.signals import CATEGORIES, Detection, detect
from brug.bot.signals.model import UrgentModel


def test_categories_are_the_agreed_seven_in_order() -> None:
    assert CATEGORIES == (
        "crisis",
        "hopelessness",
        "health",
        "withdrawal",
        "family_pressure",
        "financial",
        "waiting_stress",
    )


def test_urgent_always_carries_crisis_and_concern_categories_follow_in_order() -> None:
    found = detect("I cant sleep, no money left and I want to kill myself")
    assert found.severity == "urgent"
    assert found.categories[0] == "crisis"
    assert set(found.categories) >= {"crisis", "health", "financial"}
    assert list(found.categories) == sorted(found.categories, key=CATEGORIES.index)


def test_nothing_found_means_none_with_no_categories() -> None:
    assert detect("where is the IND office in Zwolle?") == Detection(
        language="en", severity="none", categories=()
    )


def test_empty_message_is_none() -> None:
    assert detect("   ").severity == "none"
    assert detect("", language_hint="ar") == Detection(language="ar", severity="none", categories=())


def test_a_detection_is_immutable() -> None:
    found = detect("hello")
    with pytest.raises(AttributeError):
        found.severity = "urgent"  # type: ignore[misc]


@pytest.mark.parametrize(
    "text",
    [
        "I'm dying of hunger, when is dinner?",
        "when is the deadline for the form?",
        "I was killing time in the library",
        "this heat kills me",
        "my phone is dead",
        "ik ga dood van de honger",
        "متت من الضحك على هالفيديو",
        "رح موت من الجوع",
        "از خنده مردم",
        "بمیرم برایت مادر جان",
        "ብጥሜት ሞይተ",
        "I can't wait to see my wife!",
        "I don't want to live in this AZC, can I move?",
    ],
)
def test_idioms_and_word_sense_traps_are_not_alarms(text: str) -> None:
    assert detect(text).severity == "none"


def test_an_exception_cancels_only_the_match_it_overlaps() -> None:
    found = detect("I'm dying of hunger and I want to kill myself")
    assert found.severity == "urgent"


def test_an_exception_cancels_only_its_own_category() -> None:
    found = detect("the waiting is killing me")
    assert found.severity == "concern"
    assert found.categories == ("waiting_stress",)


@pytest.mark.parametrize(
    "text",
    [
        "I don't want to live anymore",
        "i dont wanna wake up tomorrow",
        "everyone would be better off without me",
        "ik wil niet meer leven",
        "ما بدي عيش",
        "ما بدي عيش بعد اليوم",
        "ik wil er niet meer zijn",
        "دیگه نمی خواهم زنده باشم",
        "نمی‌خواهم زنده باشم",
        "ክነብር ኣይደልን",
    ],
)
def test_negations_of_living_are_crisis(text: str) -> None:
    assert detect(text).severity == "urgent"


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("hallo, ik wil dood", "ar"),
        ("Salam, I want to kill myself", "fa_AF"),
        ("بدي موت, really", "en"),
        ("ana bde mout", "nl"),
        ("kmot delye", "en"),
    ],
)
def test_crisis_is_found_whatever_language_is_identified_or_chosen(text: str, hint: str) -> None:
    assert detect(text, language_hint=hint).severity == "urgent"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("ሰላም፣ IND ክንደይ ግዜ ይወስድ?", "ti"),
        ("VluchtelingenWerk ኣበይ ይርከብ?", "ti"),
        ("selam, kemey aleka? ane dehan aleku", "ti"),
        ("مرحبا، شو الاوراق المطلوبة للم الشمل؟", "ar"),
        ("شلونك؟ انا بخير والحمدلله", "ar"),
        ("ana bde eseal 3an el awra2, shu lazem?", "ar"),
        ("سلام، برای آوردن فامیلم کدام اسناد ضرورت است؟", "fa_AF"),
        ("مكتب را ايلا كردم، ديگر نميروم", "fa_AF"),
        ("welke documenten heb ik nodig voor mijn vrouw?", "nl"),
        ("which documents do I need for my wife?", "en"),
        ("12345", "unknown"),
    ],
)
def test_language_is_identified_from_script_and_words(text: str, language: str) -> None:
    assert detect(text).language == language


def test_dari_and_arabic_sentences_about_the_same_thing_are_told_apart() -> None:
    assert detect("من خیلی خسته استم و خواب ندارم").language == "fa_AF"
    assert detect("انا كتير تعبان وما عم نام").language == "ar"


def test_the_hint_breaks_ties_but_does_not_override_evidence() -> None:
    assert detect("سلام", language_hint="fa_AF").language == "fa_AF"
    assert detect("سلام", language_hint="ar").language == "ar"
    assert detect("ok", language_hint="ti").language == "ti"
    assert detect("which documents do I need?", language_hint="nl").language == "en"


def test_hint_accepts_the_dash_spelling_and_ignores_unknown_codes() -> None:
    assert detect("سلام", language_hint="fa-AF").language == "fa_AF"
    assert detect("ok", language_hint="xx").language == "unknown"


def test_concern_phrases_count_for_the_chosen_language_too() -> None:
    # "stress" alone is an English concern word; a Dutch speaker using it is still heard.
    assert detect("veel stress", language_hint="nl").severity == "concern"


# Our own sentences: a weak cue alone, not enough for urgent, reason enough to ask directly.
ASK_CUES = [
    ("dag allemaal", "nl"),
    ("ok bye everyone, see you", "en"),
    ("ودعكم", "ar"),
    ("دنبالم نگردید، خوب استم", "fa_AF"),
    ("ድሕሪ ሕጂ ኣይንራኸብን ኢና", "ti"),
]


@pytest.mark.parametrize(("text", "language"), ASK_CUES)
def test_a_weak_cue_alone_is_not_urgent_but_asks(text: str, language: str) -> None:
    found = detect(text)
    assert (found.language, found.severity, found.ask) == (language, "none", True)


def test_hopelessness_asks_and_an_urgent_message_or_an_ordinary_one_does_not() -> None:
    hopeless = detect("i feel hopeless, there is no future for me")
    assert hopeless.severity == "concern" and "hopelessness" in hopeless.categories and hopeless.ask
    assert not detect("i cant sleep because i worry about my wife").ask
    assert not detect("goodbye everyone, i will kill myself tonight").ask
    assert not detect("thank you, goodbye").ask


def test_ask_cues_count_only_for_the_messages_language_like_concerns() -> None:
    assert detect("ik geef het op").ask
    found = detect("where can i buy a pinpas en pincode reader?", language_hint="en")
    assert (found.severity, found.ask) == ("none", False)


def test_ask_stays_out_of_the_agreed_json() -> None:
    assert set(detect("ok bye everyone, see you").as_json("x")) == {
        "text",
        "language",
        "severity",
        "categories",
    }


# Our own sentences, told without any phrase the lexicons list: the model's second opinion finds them.
UNLISTED_CRISES = [
    ("ik heb een brief geschreven voor mijn moeder, zij moet weten dat het niet haar schuld is", "nl"),
    ("i wrote letters to my kids and my sister. tonight i will be free", "en"),
]


@pytest.mark.parametrize(("text", "language"), UNLISTED_CRISES)
def test_a_crisis_no_lexicon_lists_is_urgent_through_the_model(
    text: str, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = detect(text)
    assert (found.language, found.severity, found.categories) == (language, "urgent", ("crisis",))
    monkeypatch.setattr(UrgentModel, "says_urgent", lambda self, normalised, language: False)
    assert detect(text).severity != "urgent", "the lexicons alone do not find it"


def test_where_the_lexicons_find_a_concern_the_model_asks_instead_of_alarming(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(UrgentModel, "says_urgent", lambda self, normalised, language: True)
    found = detect("i cant sleep at night")
    assert (found.severity, found.categories, found.ask) == ("concern", ("health",), True)
    assert detect("where is the office?").severity == "urgent"


def test_a_crisis_exception_overrules_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(UrgentModel, "says_urgent", lambda self, normalised, language: True)
    assert detect("I don't want to live in this AZC, can I move?").severity == "none"
    assert detect("Can I move to another AZC?").severity == "urgent", "the same model, no idiom: urgent"
