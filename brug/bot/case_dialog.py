"""While the user has an open case: the bot steps back, so that the key person does the talking.

Pure functions of the engine. What the user writes is stored as a message in any case; the key person
reads it in the back office. A crisis signal is still answered by the engine, before this module.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from brug.bot import support
from brug.bot.dialog import (
    Button,
    ButtonAnswer,
    Catalogs,
    Context,
    Input,
    LeaveCase,
    Reply,
    State,
    Step,
)
from brug.core.casework import AGAIN_BUTTON
from brug.core.casework import LEAVE_CASE as LEAVE_CASE  # re-exported: the button's callback data
from brug.core.i18n import N_

# Remembered in the conversation's data while a case waits, so that the acknowledgement goes once.
ACKNOWLEDGED = "case_ack"

PASSED_ON = N_("I have passed your message on. A person from our team will answer you here.")
TEXT_ONLY = N_("The person from our team can only read text for now. Please write your message in words.")
LEFT = N_("You have ended the conversation with our team. You can ask for a person again at any time.")
NOT_IN_A_CASE = N_("You are not talking with a person now.")


def text(state: State, user_input: Input, context: Context, catalogs: Catalogs) -> Step:
    """Free text without a crisis signal while a case is open: no answer once a person has joined;
    while the case waits, the concern answer (without the offer) or one acknowledgement."""
    if context.case == "joined":
        return Step(state)
    if user_input.severity == "concern":
        return Step(state, support.concern(state, user_input.categories, context, catalogs))
    if state.data.get(ACKNOWLEDGED):
        return Step(state)
    _ = catalogs(state.language).gettext
    return Step(state.with_data(**{ACKNOWLEDGED: True}), [Reply(_(PASSED_ON))])


def unsupported(state: State, catalogs: Catalogs) -> Step:
    """A photo, voice note or sticker while a person has joined: they cannot receive it yet."""
    return Step(state, [Reply(catalogs(state.language).gettext(TEXT_ONLY))])


def is_leave_button(data: str) -> bool:
    return data == LEAVE_CASE or data.startswith(f"{LEAVE_CASE}:")


def leave(state: State, data: str, context: Context, catalogs: Catalogs) -> Step | None:
    """The user tapped "End the conversation"; None when there is no open case, or the button belongs to an
    earlier case (an old button must not end a newer conversation)."""
    case_id = data.removeprefix(f"{LEAVE_CASE}:") if data != LEAVE_CASE else None
    if not context.has_open_case or (case_id is not None and case_id != str(context.case_id)):
        return None
    _ = catalogs(state.language).gettext
    again = ((Button(_(AGAIN_BUTTON), support.PERSON_REQUEST),),)
    return Step(
        forget_acknowledgement(state), [ButtonAnswer(), LeaveCase(context.case_id), Reply(_(LEFT), again)]
    )


def forget_acknowledgement(state: State) -> State:
    """A new waiting period starts with a new acknowledgement."""
    if ACKNOWLEDGED not in state.data:
        return state
    rest = {key: value for key, value in state.data.items() if key != ACKNOWLEDGED}
    return replace(state, data=MappingProxyType(rest))
