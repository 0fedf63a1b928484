"""The pure engine while the user has an open case: it steps back once a person joined, acknowledges once
while the case waits, still answers a crisis, and lets the user end the conversation."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pytest

from brug.bot import case_dialog, support
from brug.bot.dialog import (
    ButtonAnswer,
    CaseState,
    Context,
    Input,
    InputKind,
    LeaveCase,
    OpenCase,
    Output,
    Reply,
    State,
    Step,
)
from brug.bot.engine import _FALLBACK as FALLBACK
from brug.bot.engine import _UNSUPPORTED as UNSUPPORTED
from brug.bot.engine import help_reply, step
from brug.core import casework
from brug.core.flows import load_flows
from brug.core.i18n import translations

LANGUAGES = ["en", "ar"]
PLAIN = Input(InputKind.TEXT, "my brother's letter came today")
HEALTH = Input(InputKind.TEXT, "…", "concern", ("health",))
HOPELESS = Input(InputKind.TEXT, "…", "concern", ("hopelessness",))
CRISIS = Input(InputKind.TEXT, "…", "urgent", ("crisis",))
PHOTO = Input(InputKind.UNSUPPORTED)
LEAVE = Input(InputKind.BUTTON, casework.LEAVE_CASE)
ACKNOWLEDGED = {case_dialog.ACKNOWLEDGED: True}
# Text the bot does not understand gets the main menu, whose "talk to a person" is the usual offer.
MAIN_MENU_DATA = tuple(
    support.PERSON_REQUEST if button.action == "request_person" else f"f:main.menu:{index}"
    for index, button in enumerate(load_flows().node("main.menu").buttons)
)


def replies(outputs: Sequence[Output]) -> list[Reply]:
    return [output for output in outputs if isinstance(output, Reply)]


def button_data(reply: Reply) -> list[str]:
    return [button.data for row in reply.buttons for button in row]


def run(language: str, case: CaseState, user_input: Input, data: Mapping[str, object] | None = None) -> Step:
    state = State(language, True, "idle").with_data(**(data or {}))
    return step(state, user_input, translations, Context(recent_concerns=4, case=case))


@dataclass(frozen=True)
class Row:
    case: CaseState
    user_input: Input
    # The msgids the person sees, in order (each reply starts with one); () for silence.
    says: tuple[str, ...]
    buttons: tuple[str, ...] = ()
    opens: tuple[OpenCase, ...] = ()
    data: tuple[tuple[str, object], ...] = ()
    acknowledged_after: bool = False


ROWS = {
    "joined: text is for the key person, the bot is silent": Row("joined", PLAIN, ()),
    "joined: an earlier acknowledgement is forgotten": Row(
        "joined", PLAIN, (), data=tuple(ACKNOWLEDGED.items())
    ),
    "joined: a concern is for the key person too": Row("joined", HEALTH, ()),
    "joined: a crisis still gets the helplines and raises the case": Row(
        "joined", CRISIS, (support.CRISIS,), opens=(OpenCase("urgent", "crisis_signal"),)
    ),
    "joined: a photo cannot be passed on yet": Row("joined", PHOTO, (case_dialog.TEXT_ONLY,)),
    "waiting: the first text is acknowledged": Row(
        "waiting", PLAIN, (case_dialog.PASSED_ON,), acknowledged_after=True
    ),
    "waiting: later texts are not": Row(
        "waiting", PLAIN, (), data=tuple(ACKNOWLEDGED.items()), acknowledged_after=True
    ),
    "waiting: a concern gets its answer without the offer": Row(
        "waiting", HEALTH, (support.CONCERN["health"],)
    ),
    "waiting: a concern after the acknowledgement still gets its answer": Row(
        "waiting",
        HEALTH,
        (support.CONCERN["health"],),
        data=tuple(ACKNOWLEDGED.items()),
        acknowledged_after=True,
    ),
    "waiting: a crisis raises the case": Row(
        "waiting", CRISIS, (support.CRISIS,), opens=(OpenCase("urgent", "crisis_signal"),)
    ),
    "waiting: a photo gets the usual answer": Row("waiting", PHOTO, (UNSUPPORTED,)),
    "none: text gets the usual answer and the main menu": Row(
        "none",
        PLAIN,
        (FALLBACK,),
        buttons=MAIN_MENU_DATA,
    ),
    "none: an old acknowledgement is forgotten": Row(
        "none",
        PLAIN,
        (FALLBACK,),
        buttons=MAIN_MENU_DATA,
        data=tuple(ACKNOWLEDGED.items()),
    ),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(ROWS))
def test_free_text_and_photos_while_a_case_is_open(language: str, name: str) -> None:
    row = ROWS[name]
    result = run(language, row.case, row.user_input, dict(row.data))
    said = replies(result.outputs)
    assert len(said) == len(row.says), [reply.text for reply in said]
    for reply, msgid in zip(said, row.says, strict=True):
        assert reply.text.startswith(translations(language).gettext(msgid)), reply.text
    assert tuple(data for reply in said for data in button_data(reply)) == row.buttons
    assert tuple(output for output in result.outputs if isinstance(output, OpenCase)) == row.opens
    assert bool(result.state.data.get(case_dialog.ACKNOWLEDGED)) is row.acknowledged_after
    if language != "en" and row.says:
        assert said[0].text != replies(run("en", row.case, row.user_input, dict(row.data)).outputs)[0].text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_hopelessness_answer_keeps_the_helplines_but_no_offer_while_waiting(language: str) -> None:
    _ = translations(language).gettext
    (reply,) = replies(run(language, "waiting", HOPELESS).outputs)
    assert reply.text == f"{_(support.CONCERN['hopelessness'])}\n\n{_(support.SAFETY_LINE)}"
    assert not reply.buttons


@pytest.mark.parametrize("language", LANGUAGES)
def test_one_acknowledgement_per_waiting_period(language: str) -> None:
    """Waiting → a person joins → the case closes → the user asks again: a new acknowledgement."""
    state = State(language, True, "idle")
    seen: list[int] = []
    for case in ["waiting", "waiting", "joined", "joined", "waiting", "waiting"]:
        result = step(state, PLAIN, translations, Context(case=case))  # type: ignore[arg-type]
        state = result.state
        seen.append(len(replies(result.outputs)))
    assert seen == [1, 0, 0, 0, 1, 0]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_button_outside_a_case_ends_the_waiting_period(language: str) -> None:
    acknowledged = State(language, True, "idle").with_data(**ACKNOWLEDGED)
    tapped = step(acknowledged, Input(InputKind.BUTTON, support.PERSON_REQUEST), translations, Context())
    assert case_dialog.ACKNOWLEDGED not in tapped.state.data
    assert OpenCase("normal", "asked_for_person") in tapped.outputs
    again = step(tapped.state, PLAIN, translations, Context(case="waiting"))
    assert [reply.text for reply in replies(again.outputs)] == [
        translations(language).gettext(case_dialog.PASSED_ON)
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_commands_still_work_while_a_person_has_joined(language: str) -> None:
    result = step(State(language, True, "idle"), Input(InputKind.COMMAND, "help"), translations)
    assert replies(result.outputs) == [help_reply(language, translations)]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", ["joined", "waiting"])
def test_ending_the_conversation_closes_the_case_and_offers_a_person_again(
    language: str, case: CaseState
) -> None:
    _ = translations(language).gettext
    result = run(language, case, LEAVE, ACKNOWLEDGED)
    answer, leave, reply = result.outputs
    assert answer == ButtonAnswer()
    assert leave == LeaveCase()
    assert isinstance(reply, Reply)
    assert reply.text == _(case_dialog.LEFT)
    assert [(b.label, b.data) for row in reply.buttons for b in row] == [
        (_(casework.AGAIN_BUTTON), "person:request")
    ]
    assert case_dialog.ACKNOWLEDGED not in result.state.data
    if language != "en":
        assert reply.text != case_dialog.LEFT and reply.buttons[0][0].label != casework.AGAIN_BUTTON


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_end_button_without_an_open_case_is_stale(language: str) -> None:
    _ = translations(language).gettext
    result = run(language, "none", LEAVE)
    assert not any(isinstance(output, LeaveCase) for output in result.outputs)
    assert isinstance(result.outputs[0], ButtonAnswer)
    assert replies(result.outputs) == [
        Reply(_(case_dialog.NOT_IN_A_CASE)),
        help_reply(language, translations),
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_asking_for_a_person_while_one_has_joined_opens_no_second_case(language: str) -> None:
    result = run(language, "joined", Input(InputKind.BUTTON, support.PERSON_REQUEST))
    assert not any(isinstance(output, OpenCase) for output in result.outputs)
    assert replies(result.outputs)[0].text == translations(language).gettext(support.PERSON_ALREADY_COMING)


def test_the_case_buttons_fit_telegram() -> None:
    for data in (casework.LEAVE_CASE, casework.PERSON_REQUEST):
        assert data.isascii() and len(data.encode()) <= 64
    assert support.PERSON_REQUEST == casework.PERSON_REQUEST == "person:request"


def test_an_end_button_from_an_earlier_case_does_not_end_the_current_one() -> None:
    state = State("en", True, "idle")
    current = Context(case="joined", case_id=8)
    old = step(state, Input(InputKind.BUTTON, "case:leave:7"), translations, current)
    assert not any(isinstance(output, LeaveCase) for output in old.outputs)
    mine = step(state, Input(InputKind.BUTTON, "case:leave:8"), translations, current)
    assert LeaveCase(8) in mine.outputs
