"""The conversation engine: (state, input, context) → (new state, outputs).

Pure: no I/O, no Telegram, no clock; facts from the database (such as the user's open case) come in
through `Context`.

The Telegram layer turns an update into an `Input` and renders the `Output`s. A crisis signal in free
text is answered first, whatever the conversation was doing. The flows issue will replace the fixed
commands here with flows loaded from `flows/*.yaml`.
"""

from __future__ import annotations

from dataclasses import replace

from brug.bot import attachments, case_dialog, checkin_dialog, flow_dialog, support
from brug.bot.dialog import (
    Button,
    ButtonAnswer,
    Catalogs,
    Context,
    Forget,
    Input,
    InputKind,
    Keyboard,
    Reply,
    SetCommands,
    State,
    Step,
)
from brug.core.i18n import N_, NP_
from brug.core.languages import LANGUAGES, is_supported

LANGUAGE_BUTTON_PREFIX = "lang:"

_GREETING = N_(
    "Hello, I am Brug. I am here for people who wait for their family to come to the Netherlands "
    "(family reunification), and for their families.\n"
    "I do not work for the IND, the police or the government."
)
_CHOOSE_LANGUAGE = N_("Choose your language:")
_LANGUAGE_SET = N_("From now on I will write to you in English. You can change this with /language.")
_HELP = N_(
    "What you can do here:\n"
    "/menu – topics: waiting, your dates, after the family arrived, after a rejection, who can help\n"
    "/person – talk to a person from our team\n"
    "/checkin – let me ask now and then how you are\n"
    "/stop_checkins – stop those questions\n"
    "/language – choose your language\n"
    "/privacy – what we keep about you\n"
    "/help – this message"
)
_PRIVACY = N_(
    "Your privacy:\n"
    "• What we keep: your language, your messages and your check-in answers. Not your name or number.\n"
    "%(kept_for)s\n"
    "• Who sees it: only people from our team, and they see you under a made-up name.\n"
    "• We are not the IND and not the police.\n"
    "• /forget deletes everything about you."
)
_KEPT_FOR = NP_(
    "• For how long: messages %(days)d day; then they are deleted.",
    "• For how long: messages %(days)d days; then they are deleted.",
)
FORGET_PREFIX = "forget:"
_FORGET_WARNING = N_(
    "This deletes everything we have about you: your messages, your answers and your settings. "
    "Our team can then no longer see your conversation. This cannot be undone."
)
_FORGET_YES = N_("Yes, delete everything")
_FORGET_NO = N_("No, keep it")
_FORGOTTEN = N_("Everything about you is deleted. If you write again, we start fresh.")
_NOT_FORGOTTEN = N_("Nothing was deleted.")
_FALLBACK = N_(
    "Thank you for your message. I cannot answer questions in my own words. "
    "Choose a topic below, or talk to a person from our team."
)
_UNKNOWN_COMMAND = N_("I do not know this command.")
_UNSUPPORTED = N_("I can only read text for now. Please write your message in words.")
_STALE_BUTTON = N_("This button does not work any more.")
_SEE_HELP = N_("Write /help to see what I can do.")

# Inputs whose context (from the handler) says whether the user has an open case.
_CASE_AWARE = frozenset({InputKind.TEXT, InputKind.BUTTON, InputKind.UNSUPPORTED, InputKind.VOICE})

COMMANDS: tuple[tuple[str, str], ...] = (
    ("menu", N_("Topics")),
    ("person", N_("Talk to a person")),
    ("start", N_("Start again")),
    ("language", N_("Choose your language")),
    ("checkin", N_("Check-in: how are you?")),
    ("help", N_("What I can do")),
    ("privacy", N_("What we keep about you")),
    ("forget", N_("Delete everything about me")),
)


def step(state: State, user_input: Input, catalogs: Catalogs, context: Context | None = None) -> Step:
    """Handle one input. `catalogs(language)` gives the gettext catalog of a language."""
    context = context or Context()
    if user_input.kind in _CASE_AWARE and context.case != "waiting":
        state = case_dialog.forget_acknowledgement(state)
    if user_input.kind is InputKind.TEXT:
        return _text(state, user_input, context, catalogs)
    if user_input.kind is InputKind.BUTTON:
        return _button(state, user_input.value, context, catalogs)
    if user_input.kind is InputKind.COMMAND:
        return _command(state, user_input.value, context, catalogs)
    if user_input.kind is InputKind.TIMER and user_input.value == "checkin":
        return checkin_dialog.start(state, catalogs)
    if user_input.kind is InputKind.VOICE:
        return attachments.voice(state, context, catalogs)
    if user_input.kind is InputKind.EDITED:
        return attachments.edited(state, catalogs)
    if context.case == "joined":
        return case_dialog.unsupported(state, catalogs)
    _ = catalogs(state.language).gettext
    return Step(state, [Reply(_(_UNSUPPORTED))])


def _text(state: State, user_input: Input, context: Context, catalogs: Catalogs) -> Step:
    if user_input.severity == "urgent":
        return Step(state, support.crisis(state, catalogs))
    if context.has_open_case:
        return case_dialog.text(state, user_input, context, catalogs)
    ask = user_input.ask and _may_ask(state, context)
    if ask:
        state = state.with_data(**{support.ASKED_ON: context.today.isoformat() if context.today else None})
    if user_input.severity == "concern":
        return Step(state, support.concern(state, user_input.categories, context, catalogs, ask=ask))
    _ = catalogs(state.language).gettext
    if ask:
        return Step(state, [support.ask_directly(_(support.MESSAGE_RECEIVED), state, catalogs)])
    return Step(state, [_fallback(_(_FALLBACK), state, context, catalogs)])


def _may_ask(state: State, context: Context) -> bool:
    """Asking directly once a day is enough: asked again and again, the question loses its weight."""
    return context.today is None or state.data.get(support.ASKED_ON) != context.today.isoformat()


def _fallback(text: str, state: State, context: Context, catalogs: Catalogs) -> Reply:
    """`text`, the 112/113 lines and the main menu's buttons."""
    _ = catalogs(state.language).gettext
    menu = flow_dialog.show(state, flow_dialog.MAIN_MENU, context, catalogs)
    buttons = menu.outputs[0].buttons if isinstance(menu.outputs[0], Reply) else ()
    return Reply(f"{text}\n\n{_(support.SAFETY_LINE)}", buttons)


def _asked(state: State, yes: bool, context: Context, catalogs: Catalogs) -> Step:
    """The answer to the direct question: a yes is a crisis, whatever else the person wrote."""
    if yes:
        return Step(state, [ButtonAnswer(), *support.crisis(state, catalogs, reason="said_yes_when_asked")])
    _ = catalogs(state.language).gettext
    return Step(state, [ButtonAnswer(), _fallback(_(support.ASKED_NO), state, context, catalogs)])


def _command(state: State, name: str, context: Context, catalogs: Catalogs) -> Step:
    _ = catalogs(state.language).gettext
    if name == "menu":
        return flow_dialog.show(state, flow_dialog.MAIN_MENU, context, catalogs)
    if name == "person":
        return Step(state, support.person_requested(state, context, catalogs))
    if name == "start":
        greeting = Reply(f"{_(_GREETING)}\n\n{_(_CHOOSE_LANGUAGE)}", language_keyboard())
        return Step(replace(state, node="choose_language"), [greeting])
    if name == "language":
        return Step(replace(state, node="choose_language"), [Reply(_(_CHOOSE_LANGUAGE), language_keyboard())])
    if name == "help":
        return Step(state, [help_reply(state.language, catalogs)])
    if name == "privacy":
        return Step(state, [privacy_reply(state.language, context, catalogs)])
    if name == "forget":
        buttons = (
            (Button(_(_FORGET_YES), f"{FORGET_PREFIX}yes"), Button(_(_FORGET_NO), f"{FORGET_PREFIX}no")),
        )
        return Step(state, [Reply(_(_FORGET_WARNING), buttons)])
    if name == "checkin":
        return checkin_dialog.offer(state, catalogs)
    if name == "stop_checkins":
        return checkin_dialog.stop(state, catalogs)
    return Step(state, [Reply(f"{_(_UNKNOWN_COMMAND)} {_(_SEE_HELP)}")])


def _button(state: State, data: str, context: Context, catalogs: Catalogs) -> Step:
    if data.startswith(LANGUAGE_BUTTON_PREFIX) and is_supported(data.removeprefix(LANGUAGE_BUTTON_PREFIX)):
        return _choose_language(state, data.removeprefix(LANGUAGE_BUTTON_PREFIX), context, catalogs)
    if data == support.PERSON_REQUEST:
        return Step(state, [ButtonAnswer(), *support.person_requested(state, context, catalogs)])
    if data in {support.ASK_YES, support.ASK_NO}:
        return _asked(state, data == support.ASK_YES, context, catalogs)
    if data in {f"{FORGET_PREFIX}yes", f"{FORGET_PREFIX}no"}:
        return _forget(state, data == f"{FORGET_PREFIX}yes", catalogs)
    if case_dialog.is_leave_button(data):
        left = case_dialog.leave(state, data, context, catalogs)
        if left is not None:
            return left
        _ = catalogs(state.language).gettext
        return Step(
            state, [ButtonAnswer(), Reply(_(case_dialog.NOT_IN_A_CASE)), help_reply(state.language, catalogs)]
        )
    if data.startswith(checkin_dialog.PREFIX):
        result = checkin_dialog.button(state, data, context, catalogs)
        if result is not None:
            return result
    flow = flow_dialog.button(state, data, context, catalogs)
    if flow is not None:
        return flow
    _ = catalogs(state.language).gettext
    menu = flow_dialog.show(state, flow_dialog.MAIN_MENU, context, catalogs)
    return Step(state, [ButtonAnswer(_(_STALE_BUTTON)), *menu.outputs])


def _forget(state: State, confirmed: bool, catalogs: Catalogs) -> Step:
    """`Forget` comes first: what follows goes to the chat of a person we no longer know."""
    _ = catalogs(state.language).gettext
    if not confirmed:
        return Step(state, [ButtonAnswer(), Reply(_(_NOT_FORGOTTEN))])
    return Step(state, [Forget(), ButtonAnswer(), Reply(_(_FORGOTTEN))])


def _choose_language(state: State, language: str, context: Context, catalogs: Catalogs) -> Step:
    """The language is set; then the first question of the flows (who are you?), or the main menu.

    The first time, what we keep comes before any question (nothing but the language is stored yet), in
    the same message as the confirmation: one notification fewer on a cheap phone, and one message fewer
    for everyone who starts at once to wait behind.
    """
    _ = catalogs(language).gettext
    chosen = replace(state, language=language, language_chosen=True)
    first = flow_dialog.show(chosen, flow_dialog.first_node(chosen), context, catalogs)
    commands = SetCommands(tuple((name, _(description)) for name, description in COMMANDS))
    confirmation = _(_LANGUAGE_SET)
    if not state.language_chosen:
        confirmation = f"{confirmation}\n\n{privacy_reply(language, context, catalogs).text}"
    return Step(first.state, [ButtonAnswer(), Reply(confirmation), *first.outputs, commands])


def privacy_reply(language: str, context: Context, catalogs: Catalogs) -> Reply:
    translation = catalogs(language)
    days = context.retention_days
    kept_for = translation.ngettext(*_KEPT_FOR, days) % {"days": days}
    return Reply(translation.gettext(_PRIVACY) % {"kept_for": kept_for})


def help_reply(language: str, catalogs: Catalogs) -> Reply:
    _ = catalogs(language).gettext
    return Reply(f"{_(_HELP)}\n\n{_(support.SAFETY_LINE)}")


def language_keyboard() -> Keyboard:
    """One language a row, each labelled in its own script; callback data is ASCII (`lang:fa_AF`)."""
    return tuple((Button(label, f"{LANGUAGE_BUTTON_PREFIX}{code}"),) for code, label in LANGUAGES.items())
