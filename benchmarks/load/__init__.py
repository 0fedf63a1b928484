"""Load benchmark: Brug against a bare python-telegram-bot echo bot, through the fake Bot API.

    python -m benchmarks.load [--users 500 | --quick] [--modes polling,webhook] [--databases sqlite,postgres]

See `benchmarks/load/__main__.py` for the options and docs/performance.md for what was measured.
"""
