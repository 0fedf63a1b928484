"""Check-ins: "How are you this week?" and three follow-ups, each on five emoji buttons (1 bad … 5 good).

The questions are our own (no licensed instrument). The anchors are in the question, so the same five
emoji work in every language and for people who read little.
"""

from __future__ import annotations

from dataclasses import replace

from brug.bot import support
from brug.bot.dialog import (
    Button,
    ButtonAnswer,
    Catalogs,
    Context,
    Keyboard,
    OpenCase,
    Output,
    Reply,
    SaveCheckin,
    SetCheckins,
    State,
    Step,
)
from brug.core.i18n import N_, NP_

PREFIX = "ck:"
STOP = "ck:stop"
RHYTHMS = (7, 3, 1)
FACES = ("😞", "😟", "😐", "🙂", "😄")
QUESTIONS = {
    "mood": N_("How are you this week?"),
    "sleep": N_("How have you slept the last nights? (😞 very badly … 😄 very well)"),
    "calm": N_("How calm is your head? (😞 full of worries … 😄 calm)"),
    "coping": N_("Do you feel you can handle daily life? (😞 not at all … 😄 yes, well)"),
}
ORDER = tuple(QUESTIONS)
LOWEST_TOTAL = 6
LOW_TOTAL = 10
FALL = 4

OFFER = N_("I can ask you now and then how you are. It takes one minute. How often may I ask?")
RHYTHM_LABELS = {7: N_("Every week"), 3: N_("Every 3 days"), 1: N_("Every day")}
NOT_NOW = N_("Not now")
TIME_FOR_CHECKIN = N_("Time for a short check-in.")
STARTED = NP_(
    "Good. I will ask you how you are every day.", "Good. I will ask you how you are every %(days)d days."
)
DECLINED = N_("All right. You can start check-ins any time with /checkin.")
STOPPED = N_("Check-ins are off. You can start them again with /checkin.")
STOP_LABEL = N_("Stop check-ins")
THANKS = N_("Thank you. It is good to hear from you. Until the next check-in!")
HARD_TIME = N_("Thank you for telling me. It sounds like a hard time.")
FALLING = N_("Thank you. It sounds like things are harder than last time.")


def offer(state: State, catalogs: Catalogs) -> Step:
    _ = catalogs(state.language).gettext
    rows = tuple((Button(_(RHYTHM_LABELS[days]), f"{PREFIX}every:{days}"),) for days in RHYTHMS)
    return Step(state, [Reply(_(OFFER), (*rows, (Button(_(NOT_NOW), f"{PREFIX}every:0"),)))])


def start(state: State, catalogs: Catalogs, *, intro: str = TIME_FOR_CHECKIN) -> Step:
    """The first question; also what a scheduled check-in sends."""
    _ = catalogs(state.language).gettext
    text = f"{_(intro)}\n\n{_(QUESTIONS['mood'])}" if intro else _(QUESTIONS["mood"])
    return Step(replace(state, node="checkin:mood").with_data(checkin={}), [Reply(text, faces("mood"))])


def stop(state: State, catalogs: Catalogs) -> Step:
    _ = catalogs(state.language).gettext
    return Step(replace(state, node="idle"), [SetCheckins(None), Reply(_(STOPPED))])


def button(state: State, data: str, context: Context, catalogs: Catalogs) -> Step | None:
    """Handle a check-in button; None when the button is not (or no longer) valid."""
    if data == STOP:
        step = stop(state, catalogs)
        return Step(step.state, [ButtonAnswer(), *step.outputs])
    kind, _sep, value = data.removeprefix(PREFIX).partition(":")
    if kind == "every" and value.isdigit():
        return _choose_rhythm(state, int(value), catalogs)
    if kind in QUESTIONS and state.node == f"checkin:{kind}" and value in {"1", "2", "3", "4", "5"}:
        return _answer(state, kind, int(value), context, catalogs)
    return None


def faces(question: str) -> Keyboard:
    return (tuple(Button(face, f"{PREFIX}{question}:{score}") for score, face in enumerate(FACES, start=1)),)


def _choose_rhythm(state: State, days: int, catalogs: Catalogs) -> Step | None:
    _ = catalogs(state.language)
    if days == 0:
        return Step(state, [ButtonAnswer(), Reply(_.gettext(DECLINED))])
    if days not in RHYTHMS:
        return None
    confirmation = _.ngettext(*STARTED, days) % {"days": days}
    first = start(state, catalogs, intro="")
    return Step(first.state, [ButtonAnswer(), SetCheckins(days), Reply(confirmation), *first.outputs])


def _answer(state: State, question: str, score: int, context: Context, catalogs: Catalogs) -> Step:
    answers = {**(state.data.get("checkin") or {}), question: score}
    position = ORDER.index(question)
    if position + 1 < len(ORDER):
        following = ORDER[position + 1]
        text = catalogs(state.language).gettext(QUESTIONS[following])
        moved = replace(state, node=f"checkin:{following}").with_data(checkin=answers)
        return Step(moved, [ButtonAnswer(), Reply(text, faces(following))])
    return _finish(state, answers, context, catalogs)


def _finish(state: State, answers: dict[str, int], context: Context, catalogs: Catalogs) -> Step:
    """Save the answers and respond to how they compare: lowest → a case, low or falling → the concern
    answer with the offer of a person, otherwise thanks."""
    _ = catalogs(state.language).gettext
    total = sum(answers.values())
    previous = state.data.get("last_checkin_total")
    done = replace(state, node="idle").with_data(checkin=None, last_checkin_total=total)
    outputs: list[Output] = [ButtonAnswer(), SaveCheckin(**answers)]
    stop_button = ((Button(_(STOP_LABEL), STOP),),)
    if answers["mood"] == 1 or total <= LOWEST_TOTAL:
        text = f"{_(HARD_TIME)}\n\n{_(support.PROMISE)}\n\n{_(support.SAFETY_LINE)}"
        case = [] if context.has_open_case else [OpenCase("normal", "checkin")]
        return Step(done, [*outputs, Reply(text), *case])
    if answers["mood"] <= 2 or total <= LOW_TOTAL or (previous is not None and previous - total >= FALL):
        intro = _(FALLING) if previous is not None and previous - total >= FALL else _(HARD_TIME)
        return Step(done, [*outputs, support.offer_person(intro, state, catalogs)])
    return Step(done, [*outputs, Reply(_(THANKS), stop_button)])
