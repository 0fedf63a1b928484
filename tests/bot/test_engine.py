"""Dialogs with the pure engine, read like conversations: input → what the person sees."""

from collections.abc import Sequence

import pytest

from brug.bot.dialog import ButtonAnswer, Context, Input, InputKind, OpenCase, Reply, SetCommands, State
from brug.bot.engine import language_keyboard, privacy_reply, step
from brug.core.flows import load_flows
from brug.core.i18n import translations
from brug.core.languages import LANGUAGES

START = Input(InputKind.COMMAND, "start")


def texts(outputs: Sequence[object]) -> list[str]:
    return [output.text for output in outputs if isinstance(output, Reply)]


def test_start_greets_and_offers_five_languages_in_their_own_scripts() -> None:
    result = step(State("en"), START, translations)
    (reply,) = result.outputs
    assert isinstance(reply, Reply)
    assert reply.text.startswith("Hello, I am Brug.")
    assert [row[0].label for row in reply.buttons] == ["ትግርኛ", "العربية", "دری", "Nederlands", "English"]
    assert [row[0].data for row in reply.buttons] == [
        "lang:ti",
        "lang:ar",
        "lang:fa_AF",
        "lang:nl",
        "lang:en",
    ]
    assert result.state.node == "choose_language"


def test_greeting_uses_the_guessed_language() -> None:
    (english,) = step(State("en"), START, translations).outputs
    (dutch,) = step(State("nl"), START, translations).outputs
    assert isinstance(english, Reply) and isinstance(dutch, Reply)
    assert dutch.text != english.text
    assert dutch.text.endswith(translations("nl").gettext("Choose your language:"))


def test_callback_data_fits_telegram_and_is_ascii() -> None:
    for row in language_keyboard():
        for button in row:
            assert button.data.isascii()
            assert len(button.data.encode()) <= 64


def test_tapping_a_language_switches_everything_to_it() -> None:
    result = step(State("en"), Input(InputKind.BUTTON, "lang:ar"), translations)
    assert result.state == State("ar", language_chosen=True, node="main.who"), "then: who are you?"
    assert isinstance(result.outputs[0], ButtonAnswer)
    ar = translations("ar").gettext
    confirmation = "From now on I will write to you in English. You can change this with /language."
    privacy = privacy_reply("ar", Context(), translations).text
    assert texts(result.outputs)[0] == f"{ar(confirmation)}\n\n{privacy}", (
        "what we keep, first, in one message"
    )
    assert "العربية" in texts(result.outputs)[0]
    commands = next(output for output in result.outputs if isinstance(output, SetCommands))
    assert [name for name, _ in commands.commands] == [
        "menu",
        "person",
        "start",
        "language",
        "checkin",
        "help",
        "privacy",
        "forget",
    ]
    assert commands.commands[3][1] == ar("Choose your language")
    assert texts(result.outputs)[1].startswith(ar(load_flows().node("main.who").text_for(None)))


def test_what_we_keep_is_shown_once_at_the_first_language_choice() -> None:
    first = step(State("en", node="choose_language"), Input(InputKind.BUTTON, "lang:nl"), translations)
    again = step(State("nl", True, "choose_language"), Input(InputKind.BUTTON, "lang:ti"), translations)
    privacy = [privacy_reply(language, Context(), translations).text for language in ("nl", "ti")]
    assert privacy[0] in texts(first.outputs)[0]
    assert not any(p in text for p in privacy for text in texts(again.outputs)), (
        "changing the language later does not repeat it"
    )


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_privacy_states_the_configured_retention_period(language: str) -> None:
    def privacy(days: int) -> str:
        result = step(
            State(language, True, "idle"),
            Input(InputKind.COMMAND, "privacy"),
            translations,
            Context(retention_days=days),
        )
        (text,) = texts(result.outputs)
        return text

    assert "90" in privacy(90) and "180" not in privacy(90)
    assert "180" in privacy(180)
    assert "%(" not in privacy(30) and len(privacy(30).splitlines()) == 6, "heading and five lines"


def test_a_person_who_said_who_they_are_gets_the_main_menu_after_choosing_a_language() -> None:
    result = step(State("en", role="referent"), Input(InputKind.BUTTON, "lang:nl"), translations)
    assert result.state.node == "main.menu"


def test_the_chosen_language_stays_for_other_commands() -> None:
    tigrinya = State("ti", language_chosen=True, node="idle")
    english = State("en", language_chosen=True, node="idle")
    for command in ["help", "privacy", "language", "nonsense"]:
        result = step(tigrinya, Input(InputKind.COMMAND, command), translations)
        in_english = step(english, Input(InputKind.COMMAND, command), translations)
        assert result.state.language == "ti"
        assert texts(result.outputs) and all(
            ours != theirs
            for ours, theirs in zip(texts(result.outputs), texts(in_english.outputs), strict=True)
        )


def test_free_text_gets_a_kind_answer_crisis_numbers_and_a_person_one_tap_away() -> None:
    (reply,) = step(State("fa_AF"), Input(InputKind.TEXT, "سلام"), translations).outputs
    assert isinstance(reply, Reply)
    assert "113" in reply.text and "0800-0113" in reply.text and "112" in reply.text
    data = [button.data for row in reply.buttons for button in row]
    assert "person:request" in data, "a person is one tap away"
    assert all(d.startswith("f:main.menu:") for d in data if d != "person:request"), "and the main menu"


def test_stale_or_unknown_buttons_are_explained_not_ignored() -> None:
    for data in ["", "lang:xx", "menu:old"]:
        result = step(State("nl", True, "idle"), Input(InputKind.BUTTON, data), translations)
        answer = result.outputs[0]
        assert isinstance(answer, ButtonAnswer) and answer.text
        assert result.state == State("nl", True, "idle")
        assert texts(result.outputs)


def test_stickers_and_photos_get_a_clear_message() -> None:
    (reply,) = step(State("en"), Input(InputKind.UNSUPPORTED), translations).outputs
    assert isinstance(reply, Reply)
    assert "only read text" in reply.text


def test_the_person_command_asks_for_a_person_once() -> None:
    first = step(State("nl", True, "idle"), Input(InputKind.COMMAND, "person"), translations)
    assert OpenCase("normal", "asked_for_person") in first.outputs
    again = step(
        State("nl", True, "idle"), Input(InputKind.COMMAND, "person"), translations, Context(case="waiting")
    )
    assert not any(isinstance(output, OpenCase) for output in again.outputs)
