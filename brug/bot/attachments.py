"""Messages that are not new text: voice notes and edited messages. Pure functions of the engine.

A voice note is kept (the key person can play it in the back office), but the bot itself cannot listen:
outside a case it says so and offers a person, with the emergency numbers, since we cannot hear whether
the person is in danger. Inside a case it is handled like text: the key person gets it.
"""

from __future__ import annotations

from brug.bot import case_dialog, support
from brug.bot.dialog import Catalogs, Context, Input, InputKind, Reply, State, Step
from brug.core.i18n import N_

CANNOT_LISTEN = N_("I cannot listen to voice messages yet. Please write your message in words.")
EDITED = N_(
    "I only read new messages, not changes to old ones. "
    "If you changed something, please send it again as a new message."
)


def voice(state: State, context: Context, catalogs: Catalogs) -> Step:
    if context.has_open_case:
        return case_dialog.text(state, Input(InputKind.VOICE), context, catalogs)
    _ = catalogs(state.language).gettext
    return Step(
        state, [support.offer_person(f"{_(CANNOT_LISTEN)}\n\n{_(support.SAFETY_LINE)}", state, catalogs)]
    )


def edited(state: State, catalogs: Catalogs) -> Step:
    return Step(state, [Reply(catalogs(state.language).gettext(EDITED))])
