"""Concern answers, asking for a person, and check-ins through the whole stack, in every language."""

import pytest
from sqlmodel import Session, select

from brug.bot.runtime import BotRuntime
from brug.bot.support import CONCERN as ANSWERS
from brug.core.i18n import translations
from brug.core.languages import LANGUAGES
from brug.core.models import Case, Checkin, CheckinSchedule, Message
from tests.bot.conversation import keyboard_labels, wait_for_language_keyboard, wait_for_text
from tests.fake_bot_api import FakeBotAPI

# Our own sentences about sleep and headaches, one per language.
CONCERN = {
    "ti": "ለይቲ ድቃስ ይስኣነኒ ርእሰይ ድማ ይሓመኒ",
    "ar": "ما عم نام بالليل وراسي عم يوجعني",
    "fa_AF": "شبها خواب ندارم و سرم درد می کند",
    "nl": "ik slaap al weken slecht en heb steeds hoofdpijn",
    "en": "I can't sleep at night and my head hurts all the time",
}
FACES = ["😞", "😟", "😐", "🙂", "😄"]


async def choose(fake: FakeBotAPI, chat: int, language: str) -> None:
    fake.push_text(chat, "/start")
    keyboard = await wait_for_language_keyboard(fake, chat)
    fake.push_callback(chat, f"lang:{language}", message_id=keyboard["message_id"])
    await fake.await_for(lambda: fake.commands(chat_id=chat), what="the chosen language")


def last_message(fake: FakeBotAPI, chat: int) -> dict[str, object]:
    return fake.sent_messages(chat)[-1]


def buttons(message: dict[str, object]) -> list[tuple[str, str]]:
    markup = message.get("reply_markup") or {}
    assert isinstance(markup, dict)
    return [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row]


@pytest.mark.parametrize("language", list(LANGUAGES))
async def test_a_concern_is_answered_and_a_person_is_one_tap_away(
    runtime: BotRuntime, fake_telegram: FakeBotAPI, language: str
) -> None:
    chat = 770000 + len(language)
    await choose(fake_telegram, chat, language)
    fake_telegram.push_text(chat, CONCERN[language])
    _ = translations(language).gettext
    await wait_for_text(fake_telegram, chat, _("Would you like to talk to a person from our team?"))
    offer = last_message(fake_telegram, chat)
    assert buttons(offer) == [(_("Yes, I want to talk to a person"), "person:request")]
    assert str(offer["text"]).startswith(_(ANSWERS["health"]))

    fake_telegram.push_callback(chat, "person:request", message_id=int(str(offer["message_id"])))
    await wait_for_text(fake_telegram, chat, _(
        "Thank you. A person from our team will write to you here, in this chat. This can take some time."
    ))  # fmt: skip
    with Session(runtime.engine) as session:
        cases = session.exec(select(Case)).all()
        concern = session.exec(select(Message).where(Message.direction == "in", Message.kind == "text")).one()
    assert [(c.severity, c.reason, c.language) for c in cases] == [("normal", "asked_for_person", language)]
    assert (concern.severity, concern.categories) == ("concern", ["health"])


@pytest.mark.parametrize("language", list(LANGUAGES))
async def test_a_check_in_from_opting_in_to_the_last_answer(
    runtime: BotRuntime, fake_telegram: FakeBotAPI, language: str
) -> None:
    chat = 660000 + len(language)
    await choose(fake_telegram, chat, language)
    fake_telegram.push_text(chat, "/checkin")
    _ = translations(language).gettext
    await wait_for_text(
        fake_telegram,
        chat,
        _("I can ask you now and then how you are. It takes one minute. How often may I ask?"),
    )
    offer = last_message(fake_telegram, chat)
    assert [data for _label, data in buttons(offer)] == [
        "ck:every:7",
        "ck:every:3",
        "ck:every:1",
        "ck:every:0",
    ]
    fake_telegram.push_callback(chat, "ck:every:7", message_id=int(str(offer["message_id"])))
    for question, score in [("mood", 4), ("sleep", 3), ("calm", 4), ("coping", 5)]:
        message = await fake_telegram.await_for(
            lambda q=question: next(  # type: ignore[misc]
                (
                    m
                    for m in fake_telegram.sent_messages(chat)
                    if [d for _l, d in buttons(m)][:1] == [f"ck:{q}:1"]
                ),
                None,
            ),
            what=f"the {question} question",
        )
        assert keyboard_labels(message) == FACES
        fake_telegram.push_callback(
            chat, f"ck:{question}:{score}", message_id=int(str(message["message_id"]))
        )
    await wait_for_text(
        fake_telegram, chat, _("Thank you. It is good to hear from you. Until the next check-in!")
    )
    with Session(runtime.engine) as session:
        (checkin,) = session.exec(select(Checkin)).all()
        (schedule,) = session.exec(select(CheckinSchedule)).all()
    assert (checkin.mood, checkin.sleep, checkin.calm, checkin.coping) == (4, 3, 4, 5)
    assert schedule.every_days == 7 and schedule.active
