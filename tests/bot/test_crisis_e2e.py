"""A crisis message through the whole stack, in each language: helplines in the person's language, and an
urgent case recorded in the same transaction as the reply."""

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from brug.bot.runtime import BotRuntime
from brug.core.i18n import translations
from brug.core.models import Case, Message
from tests.bot.conversation import wait_for_language_keyboard, wait_for_text
from tests.fake_bot_api import FakeBotAPI

# Our own test sentences (not from the development set); one per language, in the person's own script.
CRISIS = {
    "ti": "ክሞት እየ ዝደሊ",
    "ar": "ما بدي عيش بعد اليوم",
    "fa_AF": "دیگه نمی خواهم زنده باشم",
    "nl": "ik wil er niet meer zijn",
    "en": "i don't want to live anymore",
}


def stored(engine: Engine) -> tuple[list[Case], list[Message]]:
    with Session(engine) as session:
        return list(session.exec(select(Case))), list(
            session.exec(select(Message).where(Message.direction == "in"))
        )


@pytest.mark.parametrize("language", list(CRISIS))
async def test_a_crisis_is_answered_with_helplines_and_an_urgent_case(
    runtime: BotRuntime, fake_telegram: FakeBotAPI, language: str
) -> None:
    chat = 880000 + len(language)
    fake_telegram.push_text(chat, "/start", language_code="en")
    keyboard = await wait_for_language_keyboard(fake_telegram, chat)
    fake_telegram.push_callback(chat, f"lang:{language}", message_id=keyboard["message_id"])
    await fake_telegram.await_for(lambda: fake_telegram.commands(chat_id=chat), what="the chosen language")

    fake_telegram.push_text(chat, CRISIS[language])
    promise = translations(language).gettext(
        "A person from our team will contact you here as soon as possible."
    )
    reply = await wait_for_text(fake_telegram, chat, promise)
    for number in ["113", "0800-0113", "112", "0800-0432"]:
        assert number in reply
    last = fake_telegram.sent_messages(chat)[-1]
    assert not (last.get("reply_markup") or {}).get("inline_keyboard"), "no menu in a crisis"

    cases, inbound = stored(runtime.engine)
    assert [(case.severity, case.reason, case.language) for case in cases] == [
        ("urgent", "crisis_signal", language)
    ]
    crisis_message = inbound[-1]
    assert crisis_message.severity == "urgent" and "crisis" in crisis_message.categories
