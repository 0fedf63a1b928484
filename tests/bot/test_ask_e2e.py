"""Asking directly through the whole stack, in each language: a weak cue gets the question, a tapped yes
gets the helplines and an urgent case that says why."""

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from brug.bot import support
from brug.bot.runtime import BotRuntime
from brug.core.i18n import translations
from brug.core.models import Case
from tests.bot.conversation import buttons, choose_language, wait_for_message, wait_for_text
from tests.bot.signals.test_detect import ASK_CUES
from tests.fake_bot_api import FakeBotAPI

CUES = {language: text for text, language in ASK_CUES}


def cases(engine: Engine) -> list[tuple[str, str, str]]:
    with Session(engine) as session:
        return [(case.severity, case.reason, case.language) for case in session.exec(select(Case))]


@pytest.mark.parametrize("language", sorted(CUES))
async def test_a_weak_cue_is_asked_about_and_a_yes_opens_an_urgent_case(
    runtime: BotRuntime, fake_telegram: FakeBotAPI, language: str
) -> None:
    chat = 890000 + sorted(CUES).index(language)
    await choose_language(fake_telegram, chat, language)
    _ = translations(language).gettext
    fake_telegram.push_text(chat, CUES[language])
    question = await wait_for_message(
        fake_telegram, chat, f"{_(support.MESSAGE_RECEIVED)}\n\n{_(support.ASK)}"
    )
    assert buttons(question) == [
        (_(support.ASK_YES_BUTTON), support.ASK_YES),
        (_(support.ASK_NO_BUTTON), support.ASK_NO),
        (_(support.OFFER_BUTTON), support.PERSON_REQUEST),
    ]
    assert cases(runtime.engine) == [], "asking opens no case"

    fake_telegram.push_callback(chat, support.ASK_YES, message_id=question["message_id"])
    reply = await wait_for_text(fake_telegram, chat, _(support.PROMISE))
    assert "113" in reply and "112" in reply
    assert cases(runtime.engine) == [("urgent", "said_yes_when_asked", language)]
    await fake_telegram.await_for(
        lambda: fake_telegram.unanswered_callback_queries() == 0, what="the tap answered"
    )
