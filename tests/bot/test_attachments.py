"""The pure engine for voice notes and edited messages, in every case state."""

from __future__ import annotations

import pytest

from brug.bot import attachments, case_dialog, support
from brug.bot.dialog import CaseState, Context, Input, InputKind, OpenCase, Reply, State
from brug.bot.engine import step
from brug.core.i18n import translations

VOICE = Input(InputKind.VOICE)
EDITED = Input(InputKind.EDITED)


def replies(
    language: str, user_input: Input, case: CaseState, data: dict[str, bool] | None = None
) -> list[Reply]:
    state = State(language, language_chosen=True, node="idle").with_data(**(data or {}))
    result = step(state, user_input, translations, Context(case=case, case_id=None if case == "none" else 1))
    assert not any(isinstance(output, OpenCase) for output in result.outputs), "a voice note opens no case"
    return [output for output in result.outputs if isinstance(output, Reply)]


@pytest.mark.parametrize("language", ["en", "ar", "ti"])
def test_a_voice_note_outside_a_case_cannot_be_heard_and_a_person_is_offered(language: str) -> None:
    _ = translations(language).gettext
    (reply,) = replies(language, VOICE, "none")
    assert reply.text.startswith(_(attachments.CANNOT_LISTEN))
    assert _(support.SAFETY_LINE) in reply.text, "we cannot hear whether someone is in danger"
    assert [button.data for row in reply.buttons for button in row] == [support.PERSON_REQUEST]


def test_a_voice_note_in_a_waiting_case_is_passed_on_with_one_acknowledgement() -> None:
    _ = translations("en").gettext
    assert [r.text for r in replies("en", VOICE, "waiting")] == [_(case_dialog.PASSED_ON)]
    assert replies("en", VOICE, "waiting", {case_dialog.ACKNOWLEDGED: True}) == []


def test_a_voice_note_in_a_joined_case_is_for_the_key_person_and_the_bot_keeps_quiet() -> None:
    assert replies("en", VOICE, "joined") == []


@pytest.mark.parametrize("case", ["none", "waiting", "joined"])
def test_an_edited_message_is_asked_for_again_as_a_new_one(case: CaseState) -> None:
    _ = translations("nl").gettext
    assert [r.text for r in replies("nl", EDITED, case)] == [_(attachments.EDITED)]
