"""Asking directly, with the pure engine: on a weak cue or hopelessness the bot asks whether the person
thinks of ending their life; a yes is a crisis, a no gets thanks and the menu; once a day at most."""

from collections.abc import Sequence
from datetime import date

import pytest

from brug.bot import support
from brug.bot.dialog import ButtonAnswer, Context, Input, InputKind, OpenCase, Output, Reply, State
from brug.bot.engine import step
from brug.core.i18n import translations
from brug.core.languages import LANGUAGES

IDLE = State("en", language_chosen=True, node="idle")
TODAY = Context(today=date(2026, 11, 30))
WEAK_CUE = Input(InputKind.TEXT, "…", "none", (), ask=True)
HOPELESS = Input(InputKind.TEXT, "…", "concern", ("hopelessness",), ask=True)


def only_reply(outputs: Sequence[Output]) -> Reply:
    (reply,) = [output for output in outputs if isinstance(output, Reply)]
    return reply


def button_data(reply: Reply) -> list[str]:
    return [button.data for row in reply.buttons for button in row]


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_weak_cue_gets_the_direct_question_with_yes_no_and_a_person(language: str) -> None:
    result = step(State(language, True, "idle"), WEAK_CUE, translations, TODAY)
    reply = only_reply(result.outputs)
    assert reply.text.endswith(translations(language).gettext(support.ASK))
    assert button_data(reply) == [support.ASK_YES, support.ASK_NO, support.PERSON_REQUEST]
    assert result.state.data[support.ASKED_ON] == "2026-11-30"
    assert not [output for output in result.outputs if isinstance(output, OpenCase)], "asking opens no case"
    if language != "en":
        assert translations(language).gettext(support.ASK) != support.ASK


def test_hopelessness_gets_the_concern_answer_the_helplines_and_the_question_in_one_message() -> None:
    reply = only_reply(step(IDLE, HOPELESS, translations, TODAY).outputs)
    assert reply.text.startswith("It sounds like you feel there is no way forward.")
    assert "113" in reply.text and reply.text.endswith(support.ASK)
    assert button_data(reply) == [support.ASK_YES, support.ASK_NO, support.PERSON_REQUEST]


def test_the_third_concern_opens_its_case_and_still_asks_without_offering_a_person_again() -> None:
    result = step(IDLE, HOPELESS, translations, Context(recent_concerns=2, today=date(2026, 11, 30)))
    reply = only_reply(result.outputs)
    assert support.CASE_OPENED_BY_REPEATS in reply.text and reply.text.endswith(support.ASK)
    assert button_data(reply) == [support.ASK_YES, support.ASK_NO]
    assert OpenCase("normal", "concern_signals") in result.outputs


def test_the_question_comes_once_a_day() -> None:
    asked = step(IDLE, WEAK_CUE, translations, TODAY).state
    again = only_reply(step(asked, WEAK_CUE, translations, TODAY).outputs)
    assert support.ASK not in again.text and "113" in again.text, "the usual answer with the helplines"
    assert support.ASK_YES not in button_data(again)
    hopeless_again = only_reply(step(asked, HOPELESS, translations, TODAY).outputs)
    assert button_data(hopeless_again) == [support.PERSON_REQUEST]
    tomorrow = Context(today=date(2026, 12, 1))
    assert only_reply(step(asked, WEAK_CUE, translations, tomorrow).outputs).text.endswith(support.ASK)


def test_yes_is_a_crisis_with_an_urgent_case_that_says_why() -> None:
    result = step(IDLE, Input(InputKind.BUTTON, support.ASK_YES), translations, TODAY)
    assert result.outputs[0] == ButtonAnswer()
    reply = only_reply(result.outputs)
    assert "113" in reply.text and "112" in reply.text and reply.urgent and not reply.buttons
    assert OpenCase("urgent", "said_yes_when_asked") in result.outputs


def test_yes_while_a_case_is_open_still_raises_it() -> None:
    result = step(IDLE, Input(InputKind.BUTTON, support.ASK_YES), translations, Context(case="joined"))
    assert OpenCase("urgent", "said_yes_when_asked") in result.outputs


def test_no_gets_thanks_the_helplines_and_the_menu_and_no_case() -> None:
    result = step(IDLE, Input(InputKind.BUTTON, support.ASK_NO), translations, TODAY)
    reply = only_reply(result.outputs)
    assert reply.text.startswith(support.ASKED_NO) and "113" in reply.text
    assert support.PERSON_REQUEST in button_data(reply) and len(button_data(reply)) > 1
    assert not [output for output in result.outputs if isinstance(output, OpenCase)]


def test_in_an_open_case_the_key_person_reads_it_and_the_bot_does_not_ask() -> None:
    result = step(IDLE, WEAK_CUE, translations, Context(case="joined", today=date(2026, 11, 30)))
    assert all(support.ASK not in output.text for output in result.outputs if isinstance(output, Reply))
    assert support.ASKED_ON not in result.state.data
