"""`brug signals`: one message per input line in, one JSON object per line out."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

from brug.bot.signals.detector import detect


def run_stream(lines: Iterable[str], out: TextIO) -> int:
    """Write the detection for every non-blank line to `out`; return how many were written."""
    count = 0
    for line in lines:
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        out.write(json.dumps(detect(text).as_json(text), ensure_ascii=False) + "\n")
        count += 1
    return count
