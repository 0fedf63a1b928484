"""How long a crisis message waits for its answer, through the whole stack, while other people chat.

    python -m benchmarks.crisis_latency [--users 200] [--rate 30] [--database-url URL]

Real python-telegram-bot over real HTTP against the project's fake Bot API (tests/fake_bot_api.py), long
polling, the given database (a fresh SQLite file by default). Every user sends /start, /help and one free
text, `--rate` updates a second in all (0: as fast as possible, a burst); every tenth user's text is a
crisis. Latency is measured from the moment the update is offered
to the fake Bot API until the fake receives the sendMessage with the helplines.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from brug.bot.runtime import BotRuntime
from brug.core.db import create_db_engine, migrate
from brug.core.settings import load_settings
from tests.constants import SECRET_KEY, TOKEN, VAULT
from tests.fake_bot_api import FakeBotAPI

CRISIS_TEXTS = ["I want to end my life", "ik wil dood", "بدي موت", "می‌خواهم بمیرم", "ክሞት እደሊ"]
CALM_TEXTS = ["thank you", "dank je", "شكرا", "تشکر", "የቐንየለይ"]
PROMISE_MARK = "113"


async def measure(users: int, rate: float, database_url: str) -> list[float]:
    migrate(database_url, VAULT)
    with FakeBotAPI(token=TOKEN) as fake:
        settings = load_settings(
            brug_env="test", telegram_bot_token=TOKEN, telegram_api_url=fake.base_url,
            database_url=database_url, brug_secret_key=SECRET_KEY, telegram_poll_timeout=1,
        )  # fmt: skip
        engine = create_db_engine(database_url, VAULT)
        runtime = BotRuntime(settings, engine)
        await runtime.start()
        try:
            return await _conversations(fake, users, rate)
        finally:
            await runtime.stop()
            engine.dispose()


async def _conversations(fake: FakeBotAPI, users: int, rate: float) -> list[float]:
    pushed: dict[int, float] = {}
    pause = 3 / rate if rate > 0 else 0.0
    for user in range(users):
        chat = 10_000 + user
        fake.push_text(chat, "/start")
        fake.push_text(chat, "/help")
        if user % 10 == 0:
            pushed[chat] = time.monotonic()
            fake.push_text(chat, CRISIS_TEXTS[user // 10 % len(CRISIS_TEXTS)])
        else:
            fake.push_text(chat, CALM_TEXTS[user % len(CALM_TEXTS)])
        await asyncio.sleep(pause)
    answered: dict[int, float] = {}

    def all_answered() -> bool:
        for call in fake.calls("sendMessage"):
            chat = call.params.get("chat_id")
            text = str(call.params.get("text"))
            if chat in pushed and chat not in answered and PROMISE_MARK in text and "0800-0432" in text:
                answered[chat] = call.at
        return len(answered) == len(pushed)

    await fake.await_for(all_answered, timeout=120, what="every crisis answered")
    return [answered[chat] - pushed[chat] for chat in pushed]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--rate", type=float, default=30.0, help="updates a second; 0 for one burst")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = args.database_url or f"sqlite:///{Path(directory) / 'bench.db'}"
        latencies = sorted(asyncio.run(measure(args.users, args.rate, url)))
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(
        f"crisis replies: {len(latencies)} among {args.users * 3} updates at {args.rate or 'burst'}/s; "
        "latency ms "
        f"p50 {statistics.median(latencies) * 1000:.0f}, p95 {p95 * 1000:.0f}, max {latencies[-1] * 1000:.0f}"
    )


if __name__ == "__main__":
    main()
