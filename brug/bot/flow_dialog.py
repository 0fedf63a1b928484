"""Conversation flows from `brug/flows/*.yaml`: showing a node, following its buttons, the date picker.

Pure functions of the engine, like the other dialogs. A node's callback data is `f:<flow.node>:<index>`
(ASCII, under Telegram's 64 bytes); a date picker step is `d:<flow.node>:<yyyy[-mm[-dd]]>`. A button
from an old message still works when its node exists; otherwise it is answered as stale.
"""

from __future__ import annotations

import calendar
from dataclasses import replace
from datetime import date

from babel.dates import format_date, get_month_names

from brug.bot import support
from brug.bot.dialog import Button, ButtonAnswer, Catalogs, Context, Keyboard, Output, Reply, State, Step
from brug.core.flows import FlowSet, Node, load_flows
from brug.core.flows.renderers import RENDERERS
from brug.core.i18n import N_

FLOW_PREFIX = "f:"
DATE_PREFIX = "d:"
MAIN_MENU = "main.menu"
WHO = "main.who"

CHOOSE_YEAR = N_("Choose the year:")
CHOOSE_MONTH = N_("Choose the month:")
CHOOSE_DAY = N_("Choose the day:")
NOT_IN_THE_FUTURE = N_("This date is in the future. Please choose a date that has passed.")


def is_flow_node(node: str) -> bool:
    return "." in node


def show(state: State, ref: str, context: Context, catalogs: Catalogs, flows: FlowSet | None = None) -> Step:
    """Go to a node and say it."""
    node = (flows or load_flows()).node(ref)
    new_state = replace(state, node=node.ref)
    return Step(new_state, [render(node, new_state, context, catalogs, flows or load_flows())])


def first_node(state: State) -> str:
    """After choosing a language: ask who they are once, then the main menu."""
    return MAIN_MENU if state.role else WHO


def button(state: State, data: str, context: Context, catalogs: Catalogs) -> Step | None:
    """A flow or date-picker button; None when the data is not ours or names a node that no longer exists."""
    flows = load_flows()
    if data.startswith(FLOW_PREFIX):
        return _flow_button(state, data.removeprefix(FLOW_PREFIX), context, catalogs, flows)
    if data.startswith(DATE_PREFIX):
        return _date_button(state, data.removeprefix(DATE_PREFIX), context, catalogs, flows)
    return None


def _flow_button(
    state: State, rest: str, context: Context, catalogs: Catalogs, flows: FlowSet
) -> Step | None:
    ref, _, index = rest.rpartition(":")
    try:
        node = flows.node(ref)
        chosen = node.buttons[int(index)]
    except (KeyError, ValueError, IndexError):
        return None
    state = replace(
        state,
        role=chosen.set.get("role", state.role),
        phase=chosen.set.get("phase", state.phase),
        age_group=chosen.set.get("age_group", state.age_group),
    )
    outputs: list[Output] = [ButtonAnswer()]
    if chosen.action == "request_person":
        return Step(state, outputs + support.person_requested(state, context, catalogs))
    target = chosen.goto or MAIN_MENU
    result = show(state, target, context, catalogs, flows)
    return Step(result.state, outputs + result.outputs)


def _date_button(
    state: State, rest: str, context: Context, catalogs: Catalogs, flows: FlowSet
) -> Step | None:
    ref, _, value = rest.rpartition(":")
    try:
        node = flows.node(ref)
    except KeyError:
        return None
    if node.ask_date is None:
        return None
    answer: list[Output] = [ButtonAnswer()]
    parts = value.split("-") if value else []
    if not all(part.isdigit() for part in parts) or len(parts) > 3:
        return None
    if len(parts) < 3:
        return Step(replace(state, node=node.ref), [*answer, picker(node, parts, state, context, catalogs)])
    try:
        chosen = date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None
    if context.today is not None and chosen > context.today:
        _ = catalogs(state.language).gettext
        return Step(
            state, [ButtonAnswer(_(NOT_IN_THE_FUTURE)), picker(node, parts[:2], state, context, catalogs)]
        )
    stored = state.with_data(**{node.ask_date.store: chosen.isoformat()})
    result = show(stored, node.ask_date.next, context, catalogs, flows)
    return Step(result.state, answer + result.outputs)


def render(node: Node, state: State, context: Context, catalogs: Catalogs, flows: FlowSet) -> Reply:
    """A node as a message: its text for this person's role, its facts, and its buttons (or the picker)."""
    if node.ask_date is not None:
        question = text(node, state, context, catalogs, flows)
        picker_reply = picker(node, [], state, context, catalogs)
        return Reply(f"{question}\n\n{picker_reply.text}", picker_reply.buttons)
    return Reply(text(node, state, context, catalogs, flows), keyboard(node, state, catalogs))


def text(node: Node, state: State, context: Context, catalogs: Catalogs, flows: FlowSet) -> str:
    values = {}
    if node.render is not None:
        values = RENDERERS[node.render](dict(state.data), context.today or date.today(), state.language)
    return flows.message(node, state.role, catalogs(state.language).gettext, values, language=state.language)


def keyboard(node: Node, state: State, catalogs: Catalogs) -> Keyboard:
    _ = catalogs(state.language).gettext
    rows = []
    for index, choice in enumerate(node.buttons):
        if choice.url:
            rows.append((Button(_(choice.label), url=choice.url),))
        elif choice.action == "request_person" and not choice.set:
            # The same button as every other "talk to a person" offer, handled in one place.
            rows.append((Button(_(choice.label), support.PERSON_REQUEST),))
        else:
            rows.append((Button(_(choice.label), f"{FLOW_PREFIX}{node.ref}:{index}"),))
    return tuple(rows)


def picker(node: Node, parts: list[str], state: State, context: Context, catalogs: Catalogs) -> Reply:
    """Year, then month, then day: all buttons, nothing to type. Only dates up to today."""
    assert node.ask_date is not None
    _ = catalogs(state.language).gettext
    today = context.today or date.today()
    base = f"{DATE_PREFIX}{node.ref}:"
    if not parts:
        years = range(today.year, today.year - node.ask_date.min_years_back - 1, -1)
        buttons = [Button(str(year), f"{base}{year}") for year in years]
        return Reply(_(CHOOSE_YEAR), _rows(buttons, 4) + _back(base, ""))
    year = int(parts[0])
    if len(parts) == 1:
        names = get_month_names("abbreviated", locale=_locale(state.language))
        last = today.month if year == today.year else 12
        buttons = [Button(names[month], f"{base}{year}-{month:02d}") for month in range(1, last + 1)]
        return Reply(_(CHOOSE_MONTH), _rows(buttons, 3) + _back(base, ""))
    month = int(parts[1])
    days = calendar.monthrange(year, month)[1]
    if (year, month) == (today.year, today.month):
        days = today.day
    buttons = [Button(str(day), f"{base}{year}-{month:02d}-{day:02d}") for day in range(1, days + 1)]
    heading = format_date(date(year, month, 1), "MMMM y", locale=_locale(state.language))
    return Reply(f"{heading}\n{_(CHOOSE_DAY)}", _rows(buttons, 7) + _back(base, str(year)))


def _rows(buttons: list[Button], width: int) -> Keyboard:
    return tuple(tuple(buttons[i : i + width]) for i in range(0, len(buttons), width))


def _back(base: str, value: str) -> Keyboard:
    return ((Button("↩", f"{base}{value}"),),)


def _locale(language: str) -> str:
    return language
