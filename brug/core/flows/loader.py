"""Load `brug/flows/*.yaml` into read-only objects, with every target and fact id resolved.

The loader refuses what the engine cannot run: YAML errors, duplicate keys, unknown fields, wrong types,
buttons that are not exactly one of goto/action/url, more than six buttons, unknown targets and unknown
facts. Every problem names the file and the node; all problems of all files are reported at once.
What the engine could run but should not (unreachable nodes, long texts, missing translations) is left to
`check.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, TypeVar

import yaml  # type: ignore[import-untyped, unused-ignore]
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from brug.core.flows.renderers import format_day
from brug.core.flows.schema import DuplicateKeyError, FactsFile, FlowModel, UniqueKeyLoader
from brug.core.i18n import N_

FACTS_FILE: Final = "facts.yaml"
ROOT: Final = "main.menu"

_EMPTY: Final[Mapping[str, str]] = MappingProxyType({})
CONTESTED_NOTE: Final = N_("This is unclear or is changing. Checked on {date}.")


class FlowError(Exception):
    """The flows cannot be loaded. `problems` has one line per problem, each naming file and node."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Fact:
    id: str
    text: str  # msgid
    source: str
    checked: date
    status: str  # "settled" | "contested"
    note: str | None = None


@dataclass(frozen=True)
class Button:
    label: str  # msgid
    goto: str | None = None  # a full "flow.node" ref
    action: str | None = None
    url: str | None = None
    set: Mapping[str, str] = field(
        default_factory=lambda: _EMPTY
    )  # fields to set on the user ("role", "phase") before goto/action


@dataclass(frozen=True)
class AskDate:
    store: str  # the user-data key the picked date is stored under (ISO date)
    next: str  # a full "flow.node" ref
    min_years_back: int = 10


@dataclass(frozen=True)
class Node:
    flow: str
    id: str
    say: Mapping[str, str]  # msgids by role; always has "default"
    facts: tuple[str, ...] = ()
    buttons: tuple[Button, ...] = ()
    ask_date: AskDate | None = None
    render: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.flow}.{self.id}"

    def text_for(self, role: str | None) -> str:
        """The msgid to show someone with this role (the default text if there is none for the role)."""
        if role is not None and role in self.say:
            return self.say[role]
        return self.say["default"]


@dataclass(frozen=True)
class Flow:
    id: str
    title: str
    start: str
    nodes: Mapping[str, Node]


@dataclass(frozen=True)
class FlowSet:
    flows: Mapping[str, Flow]
    facts: Mapping[str, Fact] = field(default_factory=lambda: MappingProxyType({}))

    def node(self, ref: str) -> Node:
        """`"flow.node"`, or `"flow"` for its start node. KeyError if there is no such node."""
        flow_id, dot, node_id = ref.partition(".")
        flow = self.flows.get(flow_id)
        if flow is None or (dot and not node_id):
            raise KeyError(ref)
        found = flow.nodes.get(node_id or flow.start)
        if found is None:
            raise KeyError(ref)
        return found

    def nodes(self) -> Iterator[Node]:
        """Every node of every flow, flow by flow."""
        for flow in self.flows.values():
            yield from flow.nodes.values()

    def message(
        self,
        node: Node,
        role: str | None,
        translate: Callable[[str], str],
        values: Mapping[str, str] = _EMPTY,
        language: str = "en",
    ) -> str:
        """The text of a node as the user sees it: `say` for the role, formatted with the renderer's values,
        then each fact as its own paragraph.

        A translation whose placeholders do not fit (which `brug flows check` reports) falls back to the
        English text rather than failing.
        """
        msgid = node.text_for(role)
        try:
            text = translate(msgid).format_map(values)
        except (KeyError, ValueError, IndexError, AttributeError):
            text = msgid.format_map(values)
        paragraphs = [text, *(self._fact_text(self.facts[fact], translate, language) for fact in node.facts)]
        return "\n\n".join(paragraphs)

    @staticmethod
    def _fact_text(fact: Fact, translate: Callable[[str], str], language: str) -> str:
        """A contested fact says so, with the day it was checked: the law may have moved since."""
        text = translate(fact.text)
        if fact.status != "contested":
            return text
        note = translate(CONTESTED_NOTE)
        try:
            note = note.format(date=format_day(fact.checked, language))
        except (KeyError, ValueError, IndexError):
            note = CONTESTED_NOTE.format(date=format_day(fact.checked, language))
        return f"{text}\n({note})"


def load_flows(directory: Path | Traversable | None = None) -> FlowSet:
    """Load and resolve every flow in `directory` (default: the packaged `brug/flows`, loaded once)."""
    if directory is None:
        return _load_default()
    return _load(directory)


def load_facts(directory: Path | Traversable | None = None) -> Mapping[str, Fact]:
    """Only `facts.yaml` (for reviewers: it loads even when a flow file is broken)."""
    root = _default_directory() if directory is None else directory
    problems: list[str] = []
    facts = _read_facts(root, problems)
    if facts is None and not problems:
        problems.append(f"{_where(root, FACTS_FILE)}: no such file")
    if problems or facts is None:
        raise FlowError(problems)
    return facts


def _default_directory() -> Traversable:
    return files("brug") / "flows"


@cache
def _load_default() -> FlowSet:
    return _load(_default_directory())


def _where(directory: Path | Traversable, name: str) -> str:
    return f"{directory.name}/{name}"


def _load(directory: Path | Traversable) -> FlowSet:
    if not directory.is_dir():
        raise FlowError([f"{directory}: no such directory"])
    problems: list[str] = []
    facts = _read_facts(directory, problems)
    models: dict[str, tuple[str, FlowModel]] = {}
    broken: set[str] = set()  # flows whose file did not load: targets in them are not reported again
    for file in sorted(directory.iterdir(), key=lambda f: f.name):
        if not file.name.endswith(".yaml") or file.name == FACTS_FILE or not file.is_file():
            continue
        where = _where(directory, file.name)
        model = _parse(file, FlowModel, where, problems)
        if model is None:
            broken.add(file.name.removesuffix(".yaml"))
            continue
        stem = file.name.removesuffix(".yaml")
        if model.flow != stem:
            problems.append(f"{where}: flow {model.flow!r} must have the file name {model.flow}.yaml")
        if model.flow in models:
            problems.append(f"{where}: flow {model.flow!r} is also defined in {models[model.flow][0]}")
            continue
        if model.start not in model.nodes:
            problems.append(f"{where}: start {model.start!r}: no such node")
        models[model.flow] = (where, model)
    flows = {
        flow_id: _build_flow(where, model, models, facts, broken, problems)
        for flow_id, (where, model) in models.items()
    }
    if problems:
        raise FlowError(problems)
    return FlowSet(flows=MappingProxyType(flows), facts=MappingProxyType(dict(facts or {})))


def _read_facts(directory: Path | Traversable, problems: list[str]) -> Mapping[str, Fact] | None:
    """The facts, or None when `facts.yaml` is missing or broken (its problems are in `problems`)."""
    file = directory / FACTS_FILE
    if not file.is_file():
        return None
    model = _parse(file, FactsFile, _where(directory, FACTS_FILE), problems)
    if model is None:
        return None
    return MappingProxyType(
        {
            fact_id: Fact(
                id=fact_id,
                text=fact.text,
                source=fact.source,
                checked=fact.checked,
                status=fact.status,
                note=fact.note,
            )
            for fact_id, fact in model.facts.items()
        }
    )


def _build_flow(
    where: str,
    model: FlowModel,
    models: Mapping[str, tuple[str, FlowModel]],
    facts: Mapping[str, Fact] | None,
    broken: set[str],
    problems: list[str],
) -> Flow:
    nodes: dict[str, Node] = {}
    for node_id, spec in model.nodes.items():
        here = f"{where}: node {node_id}"

        def resolve(target: str, what: str, here: str = here) -> str:
            ref = _resolve(target, model.flow, models)
            if ref is None:
                if target.partition(".")[0] not in broken:
                    problems.append(f"{here}: {what}: unknown target {target!r} (no such node or flow)")
                return target
            return ref

        buttons = tuple(
            Button(
                label=button.label,
                goto=resolve(button.goto, f"button {number}") if button.goto is not None else None,
                action=button.action,
                url=button.url,
                set=MappingProxyType({str(name): value for name, value in (button.set_ or {}).items()}),
            )
            for number, button in enumerate(spec.buttons, start=1)
        )
        ask_date = None
        if spec.ask_date is not None:
            ask_date = AskDate(
                store=spec.ask_date.store,
                next=resolve(spec.ask_date.next, "ask_date.next"),
                min_years_back=spec.ask_date.min_years_back,
            )
        if facts is not None:  # a broken facts.yaml is reported once, not at every use
            problems.extend(f"{here}: unknown fact {fact!r}" for fact in spec.facts if fact not in facts)
        nodes[node_id] = Node(
            flow=model.flow,
            id=node_id,
            say=MappingProxyType(spec.say.by_role()),
            facts=tuple(spec.facts),
            buttons=buttons,
            ask_date=ask_date,
            render=spec.render,
        )
    return Flow(id=model.flow, title=model.title, start=model.start, nodes=MappingProxyType(nodes))


def _resolve(target: str, flow_id: str, models: Mapping[str, tuple[str, FlowModel]]) -> str | None:
    """A node of this flow first, then a flow's start node; "flow.node" as written."""
    flow_part, dot, node_part = target.partition(".")
    if dot:
        other = models.get(flow_part)
        return target if other is not None and node_part in other[1].nodes else None
    if target in models[flow_id][1].nodes:
        return f"{flow_id}.{target}"
    other = models.get(target)
    if other is not None and other[1].start in other[1].nodes:
        return f"{target}.{other[1].start}"
    return None


_M = TypeVar("_M", bound=BaseModel)


def _parse(file: Path | Traversable, model: type[_M], where: str, problems: list[str]) -> _M | None:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problems.append(f"{where}: cannot read: {error}")
        return None
    try:
        data = _yaml(text)
    except DuplicateKeyError as error:
        inside = _entry_at_line(text, error.line)
        problems.append(f"{where}: {inside}duplicate key {error.key!r} (line {error.line})")
        return None
    except yaml.YAMLError as error:
        problems.append(f"{where}: not valid YAML: {error}")
        return None
    if not isinstance(data, dict):
        problems.append(f"{where}: expected a mapping at the top, got {type(data).__name__}")
        return None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems.extend(f"{where}: {_describe(detail)}" for detail in error.errors())
        return None


def _yaml(text: str) -> Any:
    loader = UniqueKeyLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _entry_at_line(text: str, line: int) -> str:
    """ "node <id>: " or "fact <id>: " for the node or fact around a 1-based line, else ""."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return ""
    if not isinstance(root, yaml.MappingNode):
        return ""
    for key, value in root.value:
        kind = {"nodes": "node", "facts": "fact"}.get(key.value)
        if kind is None or not isinstance(value, yaml.MappingNode):
            continue
        if not value.start_mark.line < line <= value.end_mark.line + 1:
            continue
        found = ""
        for entry, _ in value.value:
            if entry.start_mark.line < line:
                found = f"{kind} {entry.value}: "
        return found
    return ""


def _describe(detail: ErrorDetails) -> str:
    """One pydantic error as "node <id>: button 2: <what is wrong>"."""
    loc = list(detail["loc"])
    place: list[str] = []
    if len(loc) >= 2 and loc[0] in ("nodes", "facts"):
        place.append(f"{'node' if loc[0] == 'nodes' else 'fact'} {loc[1]}")
        loc = loc[2:]
    if detail["type"] in ("extra_forbidden", "missing") and loc:
        field_name = loc.pop()
        what = f"{'unknown' if detail['type'] == 'extra_forbidden' else 'missing'} field {field_name!r}"
    else:
        what = detail["msg"].removeprefix("Value error, ")
        value = detail.get("input")
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            what += f" (got {value!r})"
    index = 0
    while index < len(loc):
        part = loc[index]
        following = loc[index + 1] if index + 1 < len(loc) else None
        if part == "buttons" and isinstance(following, int):
            place.append(f"button {following + 1}")
            index += 2
            continue
        place.append("id" if part == "[key]" else str(part))
        index += 1
    return ": ".join([*place, what])
