"""Logging failures without what people wrote.

Exception messages can carry data: PostgreSQL reports the failing row ("Failing row contains (…)"),
which may hold a message text or a chat id. So failures are logged with their type and where they
happened, never with their message.
"""

from __future__ import annotations

import logging
import traceback


def log_failure(logger: logging.Logger, what: str, exc: BaseException) -> None:
    frames = "".join(traceback.format_tb(exc.__traceback__)).rstrip()
    logger.error("%s: %s (message withheld)\n%s", what, type(exc).__name__, frames)
