"""Answers to stress signals and requests for a person: calm, normalising, never a menu in a crisis.

Pure functions of the engine; texts are gettext msgids. Phone numbers and services:
shared/domain/nareis-facts-sources.md §2 (checked 2026-11-29).
"""

from __future__ import annotations

from brug.bot.dialog import Button, Catalogs, Context, OpenCase, Output, Reply, State
from brug.core.casework import PERSON_REQUEST as PERSON_REQUEST  # re-exported: the button's callback data
from brug.core.i18n import N_

CONCERNS_BEFORE_A_CASE = 3
ASK_PREFIX = "ask:"
ASK_YES, ASK_NO = f"{ASK_PREFIX}yes", f"{ASK_PREFIX}no"
# The day (in state data) the bot last asked directly: it asks at most once a day.
ASKED_ON = "asked_on"
ADULT_AGE_GROUPS = frozenset({"adult", "18_to_21"})

# Source: nareis-facts-sources.md §2 (113 free since Oct 2025, 0800-0113, chat on 113.nl, 24/7),
# checked 2026-11-29.
CRISIS = N_(
    "Thank you for telling me. What you feel is serious, and you do not have to carry it alone.\n"
    "Please talk to someone now:\n"
    "• 113 Zelfmoordpreventie: call 113 or 0800-0113, free, day and night. Or chat on 113.nl\n"
    "• In danger right now? Call 112."
)
# Source: nareis-facts-sources.md §2 (Kindertelefoon 0800-0432), checked 2026-11-29.
KINDERTELEFOON = N_("• Under 18? Call the Kindertelefoon: 0800-0432, free.")
PROMISE = N_("A person from our team will contact you here as soon as possible.")
SAFETY_LINE = N_(
    "In danger right now? Call 112.\n"
    "Thinking about ending your life? Call 113 or 0800-0113, free, day and night."
)

# One acknowledging, normalising answer with one concrete suggestion per category (seed tips 1, 3 and 4).
CONCERN = {
    "hopelessness": N_(
        "It sounds like you feel there is no way forward. Many people who wait for their family, or get bad "
        "news, feel like this. It is a normal reaction to a very hard situation.\n"
        "One thing that can help: tell one person you trust how you feel, today."
    ),
    "health": N_(
        "Sleeping badly, headaches or not wanting to eat: many people have this when they wait and worry. "
        "Your body feels the stress.\n"
        "One thing that can help: tell your huisarts (family doctor) how you feel. "
        "They can also help with stress."
    ),
    "family_pressure": N_(
        "Many people feel pressure from their family far away, or feel that they let them down. You are not "
        "failing them: the IND decides, and the procedure takes long.\n"
        "One thing that can help: explain to your family in simple words "
        "that the decision is not in your hands."
    ),
    "financial": N_(
        "Many people send money home even when they have little themselves. That is a heavy load.\n"
        "One thing that can help: keep enough for your own food and rent first. VluchtelingenWerk or your "
        "municipality can help with money problems and debts."
    ),
    "withdrawal": N_(
        "When waiting takes long, many people stop going out, or stop school or work. "
        "That is understandable.\n"
        "One thing that can help: plan one small thing for tomorrow, like a short walk or one lesson."
    ),
    "waiting_stress": N_(
        "Waiting for an answer from the IND is very hard, and it often takes longer than the letter says. "
        "Your stress is normal.\n"
        "One thing that can help: ask your contact person at VluchtelingenWerk how your application is going."
    ),
}
GENERAL_CONCERN = N_(
    "What you write sounds heavy. Many people in your situation feel like this. That is normal."
)
OFFER = N_("Would you like to talk to a person from our team?")
OFFER_BUTTON = N_("Yes, I want to talk to a person")
CASE_OPENED_BY_REPEATS = N_(
    "You have written about this more often. A person from our team will contact you here soon."
)
PERSON_COMING = N_(
    "Thank you. A person from our team will write to you here, in this chat. This can take some time."
)
# Asking directly about suicide does not put the idea in someone's head; it opens the door to help
# (113 Zelfmoordpreventie's advice to people around someone, nareis-facts-sources.md §2).
ASK = N_("May I ask you something directly, because it matters: are you thinking about ending your life?")
ASK_YES_BUTTON = N_("Yes")
ASK_NO_BUTTON = N_("No")
ASKED_NO = N_("Thank you for answering. If that changes, please write it here.")
MESSAGE_RECEIVED = N_("Thank you for your message.")
PERSON_ALREADY_COMING = N_(
    "A person from our team already knows that you want to talk. They will write to you here."
)


def crisis(state: State, catalogs: Catalogs, reason: str = "crisis_signal") -> list[Output]:
    """The reply to a crisis signal (or a yes when asked directly), and an urgent case at the same moment."""
    _ = catalogs(state.language).gettext
    lines = [_(CRISIS)]
    if state.age_group not in ADULT_AGE_GROUPS:
        lines.append(_(KINDERTELEFOON))
    return [Reply("\n".join(lines) + f"\n\n{_(PROMISE)}", urgent=True), OpenCase("urgent", reason)]


def concern(
    state: State, categories: tuple[str, ...], context: Context, catalogs: Catalogs, ask: bool = False
) -> list[Output]:
    """The answer to a concern; while a person from the team is already asked for, without the offer.
    With `ask`, it ends with the direct question, whose buttons replace the offer."""
    _ = catalogs(state.language).gettext
    category = next((c for c in CONCERN if c in categories), None)
    text = _(CONCERN[category]) if category else _(GENERAL_CONCERN)
    if "hopelessness" in categories:
        text += f"\n\n{_(SAFETY_LINE)}"
    if context.has_open_case:
        return [Reply(text)]
    if context.recent_concerns + 1 < CONCERNS_BEFORE_A_CASE:
        return [ask_directly(text, state, catalogs) if ask else offer_person(text, state, catalogs)]
    text += f"\n\n{_(CASE_OPENED_BY_REPEATS)}"
    reply = ask_directly(text, state, catalogs, offer=False) if ask else Reply(text)
    return [reply, OpenCase("normal", "concern_signals")]


def ask_directly(text: str, state: State, catalogs: Catalogs, offer: bool = True) -> Reply:
    """`text`, then the question whether the person thinks of ending their life, with yes and no buttons
    (a yes is a crisis) and, unless a person is already coming, the offer of a person."""
    _ = catalogs(state.language).gettext
    answers = (Button(_(ASK_YES_BUTTON), ASK_YES), Button(_(ASK_NO_BUTTON), ASK_NO))
    buttons: list[tuple[Button, ...]] = [answers]
    if offer:
        buttons.append((Button(_(OFFER_BUTTON), PERSON_REQUEST),))
    return Reply(f"{text}\n\n{_(ASK)}", tuple(buttons))


def offer_person(text: str, state: State, catalogs: Catalogs) -> Reply:
    _ = catalogs(state.language).gettext
    return Reply(f"{text}\n\n{_(OFFER)}", ((Button(_(OFFER_BUTTON), PERSON_REQUEST),),))


def person_requested(state: State, context: Context, catalogs: Catalogs) -> list[Output]:
    """Asked for a person (a button or /person); a tapped button also needs a ButtonAnswer from the caller."""
    _ = catalogs(state.language).gettext
    if context.has_open_case:
        return [Reply(_(PERSON_ALREADY_COMING))]
    return [Reply(f"{_(PERSON_COMING)}\n\n{_(SAFETY_LINE)}"), OpenCase("normal", "asked_for_person")]
