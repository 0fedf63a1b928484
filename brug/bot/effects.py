"""Writing what the engine decided: state, outbox rows, cases and check-ins, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from brug.bot.dialog import (
    ButtonAnswer,
    Forget,
    LeaveCase,
    OpenCase,
    Output,
    Reply,
    SaveCheckin,
    SetCheckins,
    SetCommands,
    State,
    Step,
)
from brug.core.cases import request_person
from brug.core.casework import user_left
from brug.core.checkins import set_schedule
from brug.core.models import Checkin, Conversation, Severity, User
from brug.core.outbox import Method, enqueue, enqueue_message
from brug.core.privacy import enqueue_transient, forget_user


def conversation_of(session: Session, user: User) -> Conversation:
    """The user's conversation row; a new one (not yet added) for a first message."""
    assert user.id is not None
    return session.get(Conversation, user.id) or Conversation(user_id=user.id)


def state_of(user: User, state_row: Conversation) -> State:
    return State(
        user.language,
        user.language_chosen,
        state_row.node,
        user.age_group,
        dict(state_row.data),
        role=user.role,
        phase=user.phase,
    )


def apply_step(
    session: Session,
    user: User,
    state_row: Conversation,
    result: Step,
    *,
    now: datetime,
    callback_query_id: str | None = None,
) -> None:
    """Write what the engine decided: the new state, outbox rows, cases and check-ins, in this transaction."""
    assert user.id is not None
    user.language, user.language_chosen = result.state.language, result.state.language_chosen
    user.age_group, user.role, user.phase = result.state.age_group, result.state.role, result.state.phase
    user.updated_at = state_row.updated_at = now
    state_row.node = result.state.node
    state_row.data = {key: value for key, value in result.state.data.items() if value is not None}
    session.add_all([user, state_row])
    chat_id, forgotten = user.chat_id, False
    for output in result.outputs:
        if isinstance(output, Forget):
            forget_user(session, user, now)
            forgotten = True
        elif forgotten:
            _send_forgotten(session, chat_id, output, callback_query_id=callback_query_id)
        else:
            _apply_output(session, user, output, now=now, callback_query_id=callback_query_id)


def _send_forgotten(session: Session, chat_id: int, output: Output, *, callback_query_id: str | None) -> None:
    """After `Forget` there is no user: replies go to the chat without history, and are not kept once sent."""
    if isinstance(output, Reply):
        payload: dict[str, Any] = {"text": output.text}
        if output.buttons:
            payload["keyboard"] = _keyboard(output)
        enqueue_transient(session, chat_id=chat_id, method=Method.SEND_MESSAGE, payload=payload)
    elif isinstance(output, ButtonAnswer):
        if callback_query_id:
            answer = {"callback_query_id": callback_query_id, "text": output.text}
            enqueue_transient(session, chat_id=chat_id, method=Method.ANSWER_CALLBACK, payload=answer)
    else:
        raise ValueError(f"{type(output).__name__} after Forget: there is no user any more")


def _keyboard(output: Reply) -> list[list[dict[str, str]]]:
    return [
        [{"text": b.label, "url": b.url} if b.url else {"text": b.label, "data": b.data} for b in row]
        for row in output.buttons
    ]


def _apply_output(
    session: Session, user: User, output: Output, *, now: datetime, callback_query_id: str | None
) -> None:
    if isinstance(output, Reply):
        enqueue_message(
            session, user=user, text=output.text, keyboard=_keyboard(output), urgent=output.urgent
        )
    elif isinstance(output, ButtonAnswer):
        if callback_query_id:
            answer = {"callback_query_id": callback_query_id, "text": output.text}
            enqueue(session, chat_id=user.chat_id, method=Method.ANSWER_CALLBACK, payload=answer, user=user)
    elif isinstance(output, SetCommands):
        commands = [{"command": name, "description": text} for name, text in output.commands]
        enqueue(
            session,
            chat_id=user.chat_id,
            method=Method.SET_COMMANDS,
            payload={"commands": commands},
            user=user,
        )
    elif isinstance(output, OpenCase):
        request_person(session, user=user, severity=Severity(output.severity), reason=output.reason, now=now)
    elif isinstance(output, LeaveCase):
        user_left(session, user, now, case_id=output.case_id)
    elif isinstance(output, SetCheckins):
        set_schedule(session, user, output.every_days, now=now)
    elif isinstance(output, SaveCheckin):
        assert user.id is not None
        session.add(
            Checkin(
                user_id=user.id,
                mood=output.mood,
                sleep=output.sleep,
                calm=output.calm,
                coping=output.coping,
                created_at=now,
            )
        )
