"""Table-driven dialogs through the flows, in English and in Arabic (right-to-left): each step is a button
label (the English msgid, found on the last message) or a date; each expectation is the msgid the next
message starts with. Runs the engine alone: no Telegram, no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from brug.bot.dialog import Context, Input, InputKind, OpenCase, Reply, State, Step
from brug.bot.engine import step
from brug.bot.flow_dialog import DATE_PREFIX, NOT_IN_THE_FUTURE
from brug.core.flows import load_flows
from brug.core.flows.loader import CONTESTED_NOTE
from brug.core.flows.renderers import format_day
from brug.core.i18n import translations
from brug.core.timeline import apply_until, decision_due, decision_due_extended

TODAY = date(2026, 11, 29)
CONTEXT = Context(today=TODAY)
LANGUAGES = ("en", "ar")


@dataclass
class Chat:
    """A person tapping through the flows; `last` is the newest message with buttons."""

    language: str
    state: State = field(init=False)
    last: Reply | None = None
    outputs: list[object] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.state = State(self.language, language_chosen=True, node="idle")

    def send(self, user_input: Input) -> str:
        result: Step = step(self.state, user_input, translations, CONTEXT)
        self.state, self.outputs = result.state, list(result.outputs)
        replies = [o for o in result.outputs if isinstance(o, Reply)]
        self.last = next((r for r in reversed(replies) if r.buttons), self.last)
        return "\n".join(r.text for r in replies)

    def tap(self, label_msgid: str) -> str:
        assert self.last is not None
        label = translations(self.language).gettext(label_msgid)
        data = next(b.data for row in self.last.buttons for b in row if b.label == label)
        return self.send(Input(InputKind.BUTTON, data))

    def pick(self, day: date) -> str:
        ref = self.state.node
        for value in (f"{day.year}", f"{day:%Y-%m}", day.isoformat()):
            said = self.send(Input(InputKind.BUTTON, f"{DATE_PREFIX}{ref}:{value}"))
        return said


def says(language: str, ref: str, role: str | None = None) -> str:
    """The start of a node's text in a language (up to its first placeholder)."""
    text = translations(language).gettext(load_flows().node(ref).text_for(role))
    return text.split("{")[0]


@pytest.mark.parametrize("language", LANGUAGES)
def test_who_and_which_phase_then_the_main_menu(language: str) -> None:
    chat = Chat(language)
    assert chat.send(Input(InputKind.BUTTON, f"lang:{language}")).count(says(language, "main.who")) == 1
    assert chat.tap("Came alone, under 18").startswith(says(language, "main.phase", "young_person"))
    assert (chat.state.role, chat.state.age_group) == ("young_person", "under_18")
    assert chat.tap("I am waiting for an answer").startswith(says(language, "main.menu"))
    assert chat.state.phase == "waiting"


@pytest.mark.parametrize("language", LANGUAGES)
def test_waiting_time_explains_the_decision_term_with_its_facts(language: str) -> None:
    chat = Chat(language)
    chat.send(Input(InputKind.COMMAND, "menu"))
    assert chat.tap("Waiting time").startswith(says(language, "waiting.menu"))
    assert chat.tap("How it works").startswith(says(language, "waiting.how"))
    shown = chat.tap("The decision term")
    assert shown.startswith(says(language, "waiting.term"))
    for fact in load_flows().node("waiting.term").facts:
        assert translations(language).gettext(load_flows().facts[fact].text) in shown


@pytest.mark.parametrize("language", LANGUAGES)
def test_my_timeline_from_the_permit_date(language: str) -> None:
    chat = Chat(language)
    chat.send(Input(InputKind.COMMAND, "menu"))
    chat.tap("My timeline")
    assert chat.tap("The day I got my permit").startswith(says(language, "timeline.ask_permit"))
    permit = date(2026, 10, 31)
    result = chat.pick(permit)
    assert result.startswith(says(language, "timeline.from_permit"))
    assert format_day(permit, language) in result
    assert format_day(apply_until(permit), language) in result
    assert chat.state.data["permit_date"] == "2026-10-31"


@pytest.mark.parametrize("language", LANGUAGES)
def test_my_timeline_from_the_application_date_shows_the_term_and_its_extension(language: str) -> None:
    chat = Chat(language)
    chat.send(Input(InputKind.COMMAND, "menu"))
    chat.tap("My timeline")
    chat.tap("The day I applied")
    applied = date(2024, 2, 29)
    result = chat.pick(applied)
    assert format_day(decision_due(applied), language) in result
    assert format_day(decision_due_extended(applied), language) in result


def test_a_date_in_the_future_is_refused() -> None:
    chat = Chat("en")
    chat.send(Input(InputKind.COMMAND, "menu"))
    chat.tap("My timeline")
    chat.tap("The day I got my permit")
    ref = chat.state.node
    chat.send(Input(InputKind.BUTTON, f"{DATE_PREFIX}{ref}:2026-11-30"))
    assert "permit_date" not in chat.state.data
    assert any(getattr(o, "text", None) == NOT_IN_THE_FUTURE for o in chat.outputs)


@pytest.mark.parametrize("language", LANGUAGES)
def test_after_a_rejection_the_deadlines_come_with_their_facts(language: str) -> None:
    chat = Chat(language)
    chat.send(Input(InputKind.COMMAND, "menu"))
    assert chat.tap("After a rejection").startswith(says(language, "rejected.menu"))
    node = load_flows().node("rejected.objection")
    label = next(b.label for b in load_flows().node("rejected.menu").buttons if b.goto == node.ref)
    shown = chat.tap(label)
    for fact in node.facts:
        assert translations(language).gettext(load_flows().facts[fact].text) in shown


@pytest.mark.parametrize("language", LANGUAGES)
def test_young_people_get_their_own_wording(language: str) -> None:
    young, adult = Chat(language), Chat(language)
    young.state = State(language, True, "idle", role="young_person")
    for chat in (young, adult):
        chat.send(Input(InputKind.COMMAND, "menu"))
        chat.tap("Who can help")
        chat.tap("For young people")
    assert young.last is not None and adult.last is not None
    assert young.last.text.startswith(says(language, "main.help_young", "young_person"))
    assert adult.last.text.startswith(says(language, "main.help_young"))
    assert young.last.text != adult.last.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_talk_to_a_person_from_the_menu_opens_a_case(language: str) -> None:
    chat = Chat(language)
    chat.send(Input(InputKind.COMMAND, "menu"))
    chat.tap("Talk to a person")
    assert OpenCase("normal", "asked_for_person") in chat.outputs


def test_the_help_directory_links_open_websites() -> None:
    chat = Chat("en")
    chat.send(Input(InputKind.COMMAND, "menu"))
    chat.tap("Who can help")
    chat.tap("I need help now")
    assert chat.last is not None
    urls = [b.url for row in chat.last.buttons for b in row if b.url]
    assert urls and all(url.startswith("https://") for url in urls)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_contested_fact_says_when_it_was_checked(language: str) -> None:
    flows = load_flows()
    contested = [flows.facts[f] for f in flows.node("timeline.from_permit").facts]
    contested = [fact for fact in contested if fact.status == "contested"]
    assert contested, "the timeline mentions the 2026 change, which is contested"
    chat = Chat(language)
    chat.send(Input(InputKind.COMMAND, "menu"))
    chat.tap("My timeline")
    chat.tap("The day I got my permit")
    result = chat.pick(date(2026, 10, 1))
    note = translations(language).gettext(CONTESTED_NOTE).split("{")[0]
    assert note in result
    assert format_day(contested[0].checked, language) in result


@pytest.mark.parametrize("language", LANGUAGES)
def test_after_the_family_arrived(language: str) -> None:
    chat = Chat(language)
    chat.send(Input(InputKind.COMMAND, "menu"))
    assert chat.tap("After the family arrived").startswith(says(language, "arrived.menu"))
    menu = load_flows().node("arrived.menu")
    first = next(b for b in menu.buttons if b.goto and b.goto.startswith("arrived."))
    assert first.goto is not None
    assert chat.tap(first.label).startswith(says(language, first.goto))
    assert chat.last is not None
    labels = [b.label for row in chat.last.buttons for b in row]
    assert (
        translations(language).gettext("Main menu") in labels
        or translations(language).gettext("Back") in labels
    )
