"""Babel extractor for flow files and `facts.yaml`: every text a user can see becomes a msgid.

Registered as the `brug_flows` extraction method (entry point `babel.extractors`); babel.cfg maps
`brug/flows/**.yaml` to it. It reads the YAML structure only (no validation: `brug flows check` does that),
so a half-written flow still yields its texts.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

import yaml  # type: ignore[import-untyped, unused-ignore]

_STR = "tag:yaml.org,2002:str"

Extracted = tuple[int, str | None, str, list[str]]


def extract(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Yield `(lineno, None, msgid, comments)` for each `say` text, button label and fact text."""
    encoding = str(options.get("encoding") or "utf-8")
    root = yaml.compose(fileobj.read().decode(encoding), Loader=yaml.SafeLoader)
    top = _mapping(root)
    if "facts" in top:
        yield from _facts(top["facts"])
    if "nodes" in top:
        yield from _nodes(top["nodes"])


def _mapping(node: Any) -> dict[str, Any]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {key.value: value for key, value in node.value if isinstance(key, yaml.ScalarNode)}


def _text(node: Any) -> str | None:
    if isinstance(node, yaml.ScalarNode) and node.tag == _STR and node.value:
        return str(node.value)
    return None


def _line(node: Any) -> int:
    return int(node.start_mark.line) + 1


def _facts(facts: Any) -> Iterator[Extracted]:
    for fact in _mapping(facts).values():
        fields = _mapping(fact)
        text = _text(fields.get("text"))
        if text is None:
            continue
        source = _text(fields.get("source")) or "?"
        checked = getattr(fields.get("checked"), "value", None) or "?"
        yield _line(fields["text"]), None, text, [f"Fact: source {source} checked {checked}"]


def _nodes(nodes: Any) -> Iterator[Extracted]:
    for node in _mapping(nodes).values():
        fields = _mapping(node)
        say = fields.get("say")
        for item in [say, *_mapping(say).values()]:
            text = _text(item)
            if text is not None:
                yield _line(item), None, text, []
        buttons = fields.get("buttons")
        for button in buttons.value if isinstance(buttons, yaml.SequenceNode) else []:
            label = _mapping(button).get("label")
            text = _text(label)
            if text is not None:
                yield _line(label), None, text, []
