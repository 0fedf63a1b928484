"""Stress signals: a lexicon-based detector of crisis and concern in messages in five languages."""

from brug.bot.signals.detector import Detection, detect
from brug.bot.signals.evaluation import report
from brug.bot.signals.lexicon import CATEGORIES
from brug.bot.signals.stream import run_stream

__all__ = ["CATEGORIES", "Detection", "detect", "report", "run_stream"]
