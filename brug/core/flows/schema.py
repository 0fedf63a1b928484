"""The YAML format of flows and facts (see the flows spec), as strict pydantic models.

These models only describe one file at a time. Cross-file rules (targets, fact ids) are the loader's;
rules about the whole graph, the catalogs and Telegram's limits are `check.py`'s.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Final, Literal
from urllib.parse import urlsplit

import yaml  # type: ignore[import-untyped, unused-ignore]
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

FLOW_ID_PATTERN: Final = r"^[a-z][a-z0-9_]{0,15}$"
NODE_ID_PATTERN: Final = r"^[a-z][a-z0-9_]{0,23}$"
FACT_ID_PATTERN: Final = r"^[a-z][a-z0-9_]{0,63}$"
# A target: "node" (in this flow, or else a flow's start), or "flow.node".
REF_PATTERN: Final = r"^[a-z][a-z0-9_]{0,23}(\.[a-z][a-z0-9_]{0,23})?$"
NAME_PATTERN: Final = r"^[a-z][a-z0-9_]{0,31}$"

MAX_BUTTONS: Final = 6
ROLES: Final = ("referent", "young_person", "family_arrived", "professional")
# What a button may `set` on the user. Values are checked by `check.py` (ROLES, PHASES).
SET_FIELDS: Final = ("role", "phase", "age_group")
PHASES: Final = ("waiting", "arrived", "rejected")
# Decides, e.g., whether the Kindertelefoon is offered in a crisis (see brug.bot.support).
AGE_GROUPS: Final = ("under_18", "18_to_21", "adult")
ACTIONS: Final = frozenset({"request_person", "main_menu"})


def _web_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise ValueError(f"not an http(s) URL: {value!r}")
    return value


Text = Annotated[str, StringConstraints(min_length=1)]
WebUrl = Annotated[str, AfterValidator(_web_url)]
FlowId = Annotated[str, StringConstraints(pattern=FLOW_ID_PATTERN)]
NodeId = Annotated[str, StringConstraints(pattern=NODE_ID_PATTERN)]
FactId = Annotated[str, StringConstraints(pattern=FACT_ID_PATTERN)]
Ref = Annotated[str, StringConstraints(pattern=REF_PATTERN)]
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
# A value a button sets on the user (checked against the allowed values by check.py).
Value = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_]{0,31}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FactModel(_Model):
    text: Text
    source: WebUrl
    checked: date
    status: Literal["settled", "contested"]
    note: str | None = None


class FactsFile(_Model):
    facts: dict[FactId, FactModel]


class SayModel(_Model):
    """`say`: one msgid, or a msgid per role with a required `default`."""

    default: Text
    referent: Text | None = None
    young_person: Text | None = None
    family_arrived: Text | None = None
    professional: Text | None = None

    def by_role(self) -> dict[str, str]:
        return {key: value for key, value in self.model_dump().items() if value is not None}


class ButtonModel(_Model):
    label: Text
    goto: Ref | None = None
    action: Name | None = None
    url: WebUrl | None = None
    set_: dict[Literal["role", "phase", "age_group"], Value] | None = Field(default=None, alias="set")

    @model_validator(mode="after")
    def _one_kind(self) -> ButtonModel:
        kinds = [name for name in ("goto", "action", "url") if getattr(self, name) is not None]
        if len(kinds) != 1:
            has = " and ".join(kinds) if kinds else "none"
            raise ValueError(f"a button needs exactly one of goto, action, url (this one has {has})")
        if self.set_ is not None and self.url is not None:
            raise ValueError("`set` goes with goto or action, not with url")
        return self


class AskDateModel(_Model):
    store: Name
    next: Ref
    min_years_back: int = Field(default=10, ge=1, le=100)


class NodeModel(_Model):
    say: SayModel
    facts: list[FactId] = Field(default_factory=list)
    buttons: list[ButtonModel] = Field(default_factory=list)
    ask_date: AskDateModel | None = None
    render: Name | None = None

    @field_validator("say", mode="before")
    @classmethod
    def _say_text(cls, value: Any) -> Any:
        return {"default": value} if isinstance(value, str) else value

    @field_validator("buttons", mode="after")
    @classmethod
    def _at_most_six(cls, value: list[ButtonModel]) -> list[ButtonModel]:
        if len(value) > MAX_BUTTONS:
            raise ValueError(f"at most {MAX_BUTTONS} buttons, this node has {len(value)}")
        return value

    @model_validator(mode="after")
    def _picker_or_buttons(self) -> NodeModel:
        if self.ask_date is not None and self.buttons:
            raise ValueError("a node with ask_date has no buttons (the date picker is the buttons)")
        return self


class FlowModel(_Model):
    flow: FlowId
    title: Text
    start: NodeId
    nodes: dict[NodeId, NodeModel] = Field(min_length=1)


class DuplicateKeyError(yaml.YAMLError):  # type: ignore[misc, unused-ignore]
    def __init__(self, key: object, line: int) -> None:
        super().__init__(f"line {line}: duplicate key {key!r}")
        self.key = key
        self.line = line


class UniqueKeyLoader(yaml.SafeLoader):  # type: ignore[misc, unused-ignore]
    """A SafeLoader that refuses a mapping with the same key twice (PyYAML keeps the last one silently)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[object] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                continue  # the SafeLoader reports unhashable keys itself
            if key in seen:
                raise DuplicateKeyError(key, key_node.start_mark.line + 1)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)
