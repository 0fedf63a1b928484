"""The Telegram side: updates in, the conversation engine, the outbox sender."""

import os

# Opt in to python-telegram-bot's coming behaviour (durations as timedelta, e.g. RetryAfter.retry_after)
# instead of a deprecation warning on every 429. Must happen before `telegram` is imported.
os.environ.setdefault("PTB_TIMEDELTA", "true")
