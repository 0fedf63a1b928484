"""Crisis, concern and check-in dialogs with the pure engine: what the person sees, and which cases open."""

from collections.abc import Sequence

import pytest

from brug.bot.dialog import (
    ButtonAnswer,
    Context,
    Input,
    InputKind,
    OpenCase,
    Output,
    Reply,
    SaveCheckin,
    SetCheckins,
    State,
)
from brug.bot.engine import step
from brug.core.i18n import translations
from brug.core.languages import LANGUAGES

IDLE = State("en", language_chosen=True, node="idle")


def replies(outputs: Sequence[Output]) -> list[Reply]:
    return [output for output in outputs if isinstance(output, Reply)]


def cases(outputs: Sequence[Output]) -> list[OpenCase]:
    return [output for output in outputs if isinstance(output, OpenCase)]


def crisis(state: State) -> list[Output]:
    return step(state, Input(InputKind.TEXT, "…", "urgent", ("crisis",)), translations).outputs


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_crisis_gets_the_helplines_in_the_persons_language_and_an_urgent_case(language: str) -> None:
    outputs = crisis(State(language, True, "checkin:sleep"))
    (reply,) = replies(outputs)
    for number in ["113", "0800-0113", "113.nl", "112", "0800-0432"]:
        assert number in reply.text
    assert not reply.buttons, "a crisis is never answered with a menu"
    assert reply.text.endswith(
        translations(language).gettext("A person from our team will contact you here as soon as possible.")
    )
    assert cases(outputs) == [OpenCase("urgent", "crisis_signal")]
    if language != "en":
        assert reply.text != replies(crisis(State("en", True)))[0].text


def test_kindertelefoon_is_left_out_only_for_people_who_said_they_are_adults() -> None:
    for age_group, expected in [(None, True), ("under_18", True), ("18_to_21", False), ("adult", False)]:
        (reply,) = replies(crisis(State("nl", True, "idle", age_group)))
        assert ("0800-0432" in reply.text) is expected


def test_a_crisis_in_the_middle_of_a_check_in_comes_first_and_keeps_the_check_in() -> None:
    state = State("en", True, "checkin:calm").with_data(checkin={"mood": 2, "sleep": 1})
    result = step(state, Input(InputKind.TEXT, "…", "urgent", ("crisis", "health")), translations)
    assert result.state == state


@pytest.mark.parametrize(
    ("category", "fragment"),
    [
        ("health", "huisarts"),
        ("financial", "VluchtelingenWerk or your municipality"),
        ("waiting_stress", "longer than the letter says"),
        ("family_pressure", "the IND decides"),
        ("withdrawal", "plan one small thing"),
        ("hopelessness", "113"),
    ],
)
def test_a_concern_is_acknowledged_with_one_suggestion_and_a_person_one_tap_away(
    category: str, fragment: str
) -> None:
    result = step(IDLE, Input(InputKind.TEXT, "…", "concern", (category,)), translations)
    (reply,) = replies(result.outputs)
    assert fragment in reply.text
    assert reply.text.endswith("Would you like to talk to a person from our team?")
    assert [b.data for row in reply.buttons for b in row] == ["person:request"]
    assert cases(result.outputs) == []


def test_the_third_concern_in_a_week_opens_a_case_on_its_own() -> None:
    concern = Input(InputKind.TEXT, "…", "concern", ("health",))
    second = step(IDLE, concern, translations, Context(recent_concerns=1))
    third = step(IDLE, concern, translations, Context(recent_concerns=2))
    already_open = step(IDLE, concern, translations, Context(recent_concerns=5, case="waiting"))
    assert cases(second.outputs) == [] and cases(already_open.outputs) == []
    assert cases(third.outputs) == [OpenCase("normal", "concern_signals")]
    assert "A person from our team will contact you here soon." in replies(third.outputs)[0].text


def test_asking_for_a_person_opens_one_case() -> None:
    tap = Input(InputKind.BUTTON, "person:request")
    first = step(IDLE, tap, translations)
    again = step(IDLE, tap, translations, Context(case="waiting"))
    assert isinstance(first.outputs[0], ButtonAnswer)
    assert cases(first.outputs) == [OpenCase("normal", "asked_for_person")]
    assert cases(again.outputs) == []
    assert "already knows" in replies(again.outputs)[0].text


def answer_all(
    state: State, scores: dict[str, int], context: Context | None = None
) -> tuple[State, list[Output]]:
    outputs: list[Output] = []
    for question, score in scores.items():
        result = step(state, Input(InputKind.BUTTON, f"ck:{question}:{score}"), translations, context)
        state, outputs = result.state, result.outputs
    return state, outputs


def test_opting_in_schedules_and_asks_the_first_question_with_five_faces() -> None:
    offer = step(IDLE, Input(InputKind.COMMAND, "checkin"), translations)
    assert [b.data for row in replies(offer.outputs)[0].buttons for b in row] == [
        "ck:every:7", "ck:every:3", "ck:every:1", "ck:every:0",
    ]  # fmt: skip
    chosen = step(IDLE, Input(InputKind.BUTTON, "ck:every:3"), translations)
    assert SetCheckins(3) in chosen.outputs
    confirmation, question = replies(chosen.outputs)
    assert confirmation.text == "Good. I will ask you how you are every 3 days."
    assert question.text == "How are you this week?"
    assert [b.label for b in question.buttons[0]] == ["😞", "😟", "😐", "🙂", "😄"]
    assert chosen.state.node == "checkin:mood"


def test_arabic_rhythm_uses_the_right_plural_form() -> None:
    ar = translations("ar")
    chosen = step(State("ar", True, "idle"), Input(InputKind.BUTTON, "ck:every:3"), translations)
    assert replies(chosen.outputs)[0].text == ar.ngettext(
        "Good. I will ask you how you are every day.",
        "Good. I will ask you how you are every %(days)d days.",
        3,
    ) % {"days": 3}


def test_a_good_check_in_is_saved_and_thanked() -> None:
    started = step(IDLE, Input(InputKind.TIMER, "checkin"), translations).state
    state, outputs = answer_all(started, {"mood": 4, "sleep": 4, "calm": 3, "coping": 4})
    assert SaveCheckin(4, 4, 3, 4) in outputs
    assert state.node == "idle" and state.data["last_checkin_total"] == 15
    (reply,) = replies(outputs)
    assert reply.text.startswith("Thank you.") and cases(outputs) == []
    assert [b.data for row in reply.buttons for b in row] == ["ck:stop"]


def test_a_low_or_falling_check_in_gets_the_concern_answer() -> None:
    started = step(IDLE, Input(InputKind.TIMER, "checkin"), translations).state
    _, low = answer_all(started, {"mood": 2, "sleep": 3, "calm": 3, "coping": 3})
    _, falling = answer_all(
        started.with_data(last_checkin_total=18), {"mood": 4, "sleep": 3, "calm": 3, "coping": 3}
    )
    for outputs in (low, falling):
        assert [b.data for row in replies(outputs)[-1].buttons for b in row] == ["person:request"]
        assert cases(outputs) == []
    assert "harder than last time" in replies(falling)[-1].text


def test_the_lowest_check_in_opens_a_case() -> None:
    started = step(IDLE, Input(InputKind.TIMER, "checkin"), translations).state
    _, outputs = answer_all(started, {"mood": 1, "sleep": 3, "calm": 3, "coping": 3})
    assert cases(outputs) == [OpenCase("normal", "checkin")]
    assert "112" in replies(outputs)[-1].text


def test_stale_check_in_buttons_do_not_count() -> None:
    result = step(IDLE, Input(InputKind.BUTTON, "ck:sleep:3"), translations)
    assert not any(isinstance(output, SaveCheckin) for output in result.outputs)
    assert isinstance(result.outputs[0], ButtonAnswer) and result.outputs[0].text


def test_stopping_check_ins_by_command_or_button() -> None:
    for user_input in (Input(InputKind.COMMAND, "stop_checkins"), Input(InputKind.BUTTON, "ck:stop")):
        result = step(IDLE, user_input, translations)
        assert SetCheckins(None) in result.outputs
        assert "/checkin" in replies(result.outputs)[0].text
