"""`brug run`, but with python-telegram-bot's rate limiter set to no limit: Brug's own cost, without the
30 messages/s Telegram allows a bot (and Brug therefore keeps to). For the load benchmark only.

    python -m benchmarks.load.brug_unthrottled run --port 8000

`AIORateLimiter(overall_max_rate=0, group_max_rate=0)` is PTB's documented "no limiting"; nothing else
differs from `python -m brug run`.
"""

from __future__ import annotations

import sys

from telegram.ext import AIORateLimiter

import brug.bot.runtime
from brug.cli import main


class Unlimited(AIORateLimiter):
    def __init__(self, max_retries: int = 0) -> None:
        super().__init__(overall_max_rate=0, group_max_rate=0, max_retries=max_retries)


if __name__ == "__main__":
    brug.bot.runtime.AIORateLimiter = Unlimited  # type: ignore[attr-defined,assignment]
    sys.exit(main())
