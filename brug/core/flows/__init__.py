"""Conversation flows as data: `brug/flows/*.yaml` (format: see the flows spec) and `facts.yaml`."""

from brug.core.flows.check import check
from brug.core.flows.loader import (
    AskDate,
    Button,
    Fact,
    Flow,
    FlowError,
    FlowSet,
    Node,
    load_facts,
    load_flows,
)
from brug.core.flows.renderers import FIELDS, RENDERERS, Renderer

__all__ = [
    "FIELDS",
    "RENDERERS",
    "AskDate",
    "Button",
    "Fact",
    "Flow",
    "FlowError",
    "FlowSet",
    "Node",
    "Renderer",
    "check",
    "load_facts",
    "load_flows",
]
