"""`brug flows check`: everything about loaded flows that would go wrong in front of a user.

The loader already refuses what cannot run at all (see `loader.py`); this finds the rest: the graph (every
node reachable from `main.menu`, and `main.menu` reachable from every node, no dead ends), Telegram's limits
(callback data, message and label lengths, number of buttons), actions, renderers and their placeholders,
and per language the catalog (missing, fuzzy, placeholders that differ from the msgid).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Formatter
from typing import Final

from babel.messages.pofile import read_po

from brug.core.flows.loader import ROOT, FlowSet, Node
from brug.core.flows.renderers import FIELDS, INPUTS
from brug.core.flows.schema import ACTIONS, AGE_GROUPS, MAX_BUTTONS, PHASES, ROLES
from brug.core.i18n import DOMAIN, LOCALES
from brug.core.languages import DEFAULT_LANGUAGE, LANGUAGES

MAX_CALLBACK_BYTES: Final = 64
MAX_MESSAGE: Final = 4096  # Telegram counts UTF-16 code units; we count the same way
MAX_LABEL_ENGLISH: Final = 30
MAX_LABEL_TRANSLATED: Final = 40
SAMPLE_VALUE: Final = "X" * 40  # a long placeholder value (a long written-out date is about 20)
LONGEST_PICKED_DATE: Final = "0000-00-00"  # the date picker's callback data ends with yyyy[-mm[-dd]]

_PRINTF: Final = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
_ALLOWED_VALUES: Final[Mapping[str, tuple[str, ...]]] = {
    "role": ROLES,
    "phase": PHASES,
    "age_group": AGE_GROUPS,
}


def check(
    flows: FlowSet,
    languages: Iterable[str] = LANGUAGES,
    *,
    locales: Path | Traversable | None = None,
) -> list[str]:
    """Every problem, one line each, naming the node ("flow.node") or fact; an empty list means all good.

    `locales` is the directory with `<language>/LC_MESSAGES/messages.po` (default: the packaged catalogs).
    """
    problems = [
        *_structure(flows),
        *_graph(flows),
        *_telegram(flows),
        *_placeholders(flows),
    ]
    root = LOCALES if locales is None else locales
    for language in languages:
        problems.extend(_catalog(flows, language, root))
    return problems


def placeholders(text: str) -> set[str]:
    """The `{name}` fields and `%(name)s` conversions in a text, as written ("{name}", "%(name)"), without
    format specs. ValueError if the braces do not parse (a lone `{` or `}`)."""
    found = {f"{{{name}}}" for _, name, _, _ in Formatter().parse(text) if name is not None}
    found |= {f"%({name})" for name in _PRINTF.findall(text)}
    return found


def msgids(flows: FlowSet) -> dict[str, list[str]]:
    """Every msgid the flows show, with where it is used ("flow.node" or "fact <id>")."""
    used: dict[str, list[str]] = {}
    for node in flows.nodes():
        for text in [*node.say.values(), *(button.label for button in node.buttons)]:
            used.setdefault(text, []).append(node.ref)
    for fact in flows.facts.values():
        used.setdefault(fact.text, []).append(f"fact {fact.id}")
    return used


def _target_ok(flows: FlowSet, ref: str) -> bool:
    try:
        flows.node(ref)
    except KeyError:
        return False
    return True


def _structure(flows: FlowSet) -> Iterator[str]:
    stores = frozenset().union(*INPUTS.values())
    for flow_id, flow in flows.flows.items():
        if flow.id != flow_id:
            yield f"{flow_id}: the flow calls itself {flow.id!r}"
        if flow.start not in flow.nodes:
            yield f"{flow_id}: start {flow.start!r}: no such node"
        for node_id, node in flow.nodes.items():
            if (node.flow, node.id) != (flow_id, node_id):
                yield f"{flow_id}.{node_id}: the node calls itself {node.ref!r}"
    for node in flows.nodes():
        here = node.ref
        if "default" not in node.say:
            yield f"{here}: `say` has no default text"
        if not node.buttons and node.ask_date is None:
            yield f"{here}: dead end: no buttons and no ask_date"
        if node.buttons and node.ask_date is not None:
            yield f"{here}: a node with ask_date has no buttons"
        for fact in node.facts:
            if fact not in flows.facts:
                yield f"{here}: unknown fact {fact!r}"
        if node.render is not None and node.render not in FIELDS:
            yield f"{here}: unknown renderer {node.render!r} (known: {', '.join(sorted(FIELDS))})"
        if node.ask_date is not None:
            if not _target_ok(flows, node.ask_date.next):
                yield f"{here}: ask_date.next: unknown target {node.ask_date.next!r}"
            if node.ask_date.store not in stores:
                known = ", ".join(sorted(stores))
                yield f"{here}: ask_date.store: no renderer reads {node.ask_date.store!r} (known: {known})"
        for number, button in enumerate(node.buttons, start=1):
            where = f"{here}: button {number} ({button.label!r})"
            kinds = [kind for kind in (button.goto, button.action, button.url) if kind is not None]
            if len(kinds) != 1:
                yield f"{where}: needs exactly one of goto, action, url"
            if button.goto is not None and not _target_ok(flows, button.goto):
                yield f"{where}: unknown target {button.goto!r}"
            if button.action is not None and button.action not in ACTIONS:
                yield f"{where}: unknown action {button.action!r} (known: {', '.join(sorted(ACTIONS))})"
            for name, value in button.set.items():
                allowed = _ALLOWED_VALUES.get(name)
                if allowed is None:
                    yield f"{where}: set: unknown field {name!r} (known: {', '.join(_ALLOWED_VALUES)})"
                elif value not in allowed:
                    yield f"{where}: set: {name} {value!r} is not one of {', '.join(allowed)}"


def _edges(flows: FlowSet, node: Node) -> Iterator[str]:
    for button in node.buttons:
        if button.goto is not None:
            yield button.goto
        if button.action == "main_menu":
            yield ROOT
    if node.ask_date is not None:
        yield node.ask_date.next


def _graph(flows: FlowSet) -> Iterator[str]:
    if not _target_ok(flows, ROOT):
        yield f"{ROOT}: missing (flow `main` with node `menu` is where every conversation starts)"
        return
    forward: dict[str, set[str]] = {node.ref: set() for node in flows.nodes()}
    backward: dict[str, set[str]] = {ref: set() for ref in forward}
    for node in flows.nodes():
        for target in _edges(flows, node):
            if target in forward:
                forward[node.ref].add(target)
                backward[target].add(node.ref)
    reached = _reach(forward, ROOT)
    returns = _reach(backward, ROOT)
    for node in flows.nodes():
        if node.ref not in reached:
            yield f"{node.ref}: unreachable from {ROOT}"
        has_way_out = bool(node.buttons) or node.ask_date is not None  # dead ends are reported already
        if node.ref not in returns and has_way_out:
            yield f"{node.ref}: {ROOT} cannot be reached from here"


def _reach(edges: Mapping[str, set[str]], start: str) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        for following in edges[queue.popleft()]:
            if following not in seen:
                seen.add(following)
                queue.append(following)
    return seen


def _telegram(flows: FlowSet) -> Iterator[str]:
    for node in flows.nodes():
        here = node.ref
        if len(node.buttons) > MAX_BUTTONS:
            yield f"{here}: {len(node.buttons)} buttons (at most {MAX_BUTTONS})"
        for index, button in enumerate(node.buttons):
            where = f"{here}: button {index + 1} ({button.label!r})"
            if len(button.label) > MAX_LABEL_ENGLISH:
                count = len(button.label)
                yield f"{where}: label has {count} characters in English (at most {MAX_LABEL_ENGLISH})"
            if button.url is None:
                data = f"f:{node.ref}:{index}"
                if len(data.encode()) > MAX_CALLBACK_BYTES:
                    yield f"{where}: callback data {data!r} is over {MAX_CALLBACK_BYTES} bytes"
        if node.ask_date is not None:
            data = f"d:{node.ref}:{LONGEST_PICKED_DATE}"
            if len(data.encode()) > MAX_CALLBACK_BYTES:
                yield f"{here}: date picker callback data {data!r} is over {MAX_CALLBACK_BYTES} bytes"


def _placeholders(flows: FlowSet) -> Iterator[str]:
    for node in flows.nodes():
        if node.render is not None and node.render not in FIELDS:
            continue  # the unknown renderer is reported already
        supplied = {f"{{{name}}}" for name in FIELDS.get(node.render or "", frozenset())}
        texts = [*node.say.values(), *(button.label for button in node.buttons)]
        for text in texts:
            try:
                used = placeholders(text)
            except ValueError as error:
                yield f"{node.ref}: {error} in {_short(text)} (write a brace as {{{{ or }}}})"
                continue
            extra = used - supplied if text in node.say.values() else used
            if extra:
                by = f"renderer {node.render!r}" if node.render else "no renderer"
                yield f"{node.ref}: placeholders {_names(extra)} in {_short(text)} are not supplied by {by}"
    for fact in flows.facts.values():
        try:
            used = placeholders(fact.text)
        except ValueError:
            used = {"{"}
        if used:
            yield f"fact {fact.id}: a fact cannot have placeholders or braces: {_short(fact.text)}"


class _Sample(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return SAMPLE_VALUE


def _catalog(flows: FlowSet, language: str, root: Path | Traversable) -> Iterator[str]:
    source = root / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not source.is_file():
        if language != DEFAULT_LANGUAGE:
            yield f"{language}: no catalog at {source}"
        return
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    yield from _catalog_placeholders(catalog, language)
    used = msgids(flows)
    labels = {button.label for node in flows.nodes() for button in node.buttons}
    limit = MAX_LABEL_ENGLISH if language == DEFAULT_LANGUAGE else MAX_LABEL_TRANSLATED
    shown: dict[str, str] = {}
    for msgid, places in used.items():
        where = f"{language}: {_short(msgid)} (in {_places(places)})"
        message = catalog.get(msgid)
        if message is not None and message.fuzzy:
            yield f"{where}: fuzzy translation (not used until it is checked and the fuzzy flag removed)"
        elif message is None or not message.string:
            if language != DEFAULT_LANGUAGE:
                yield f"{where}: missing translation"
        elif isinstance(message.string, str):
            shown[msgid] = message.string
            english_as_is = language == DEFAULT_LANGUAGE and message.string == msgid  # reported already
            if msgid in labels and len(message.string) > limit and not english_as_is:
                yield f"{where}: button label has {len(message.string)} characters (at most {limit})"
    values = _Sample()
    for node in flows.nodes():
        for role in node.say:
            try:
                text = flows.message(
                    node, role, lambda msgid: shown.get(msgid, msgid), values, language=language
                )
            except (ValueError, IndexError, AttributeError, KeyError):
                continue  # reported by _placeholders
            length = len(text.encode("utf-16-le")) // 2
            if length > MAX_MESSAGE:
                which = "" if role == "default" else f" ({role})"
                yield f"{language}: {node.ref}{which}: message has {length} characters (max {MAX_MESSAGE})"


def _catalog_placeholders(catalog: Iterable[object], language: str) -> Iterator[str]:
    """Every translated entry of the catalog (not only the flows'): the same placeholders as its msgid."""
    for message in catalog:
        msgid = getattr(message, "id", None)
        string = getattr(message, "string", None)
        if not msgid or not string:
            continue
        ids = msgid if isinstance(msgid, tuple) else (msgid,)
        forms = [form for form in (string if isinstance(string, tuple) else (string,)) if form]
        if not forms:
            continue
        try:
            expected = set().union(*(placeholders(text) for text in ids))
        except ValueError:
            continue  # not a format string in the code either
        where = f"{language}: {_short(ids[0])}"
        try:
            found = [placeholders(form) for form in forms]
        except ValueError as error:
            yield f"{where}: the translation has {error}"
            continue
        # A plural form may leave the number out (Arabic "one"), so compare what all forms use together.
        translated = set().union(*found) if isinstance(msgid, tuple) else found[0]
        if translated != expected:
            yield f"{where}: placeholders differ: msgid {_names(expected)}, translation {_names(translated)}"


def _places(places: list[str], shown: int = 3) -> str:
    unique = list(dict.fromkeys(places))
    more = f" and {len(unique) - shown} more" if len(unique) > shown else ""
    return ", ".join(unique[:shown]) + more


def _names(names: set[str]) -> str:
    return ", ".join(sorted(names)) or "none"


def _short(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= width else flat[: width - 1] + "…")
