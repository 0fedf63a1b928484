"""One configuration (bot, mode, database): start the fake Bot API and the bot, let people talk, measure."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL
from sqlmodel import Session, select

from benchmarks.load.keyperson import add_key_person, answer_cases
from benchmarks.load.processes import BotProcess, Launch, brug_launch, echo_launch, own_cpu_seconds
from benchmarks.load.profile import Profiler
from benchmarks.load.users import ChatLog, Person, Tally, Taps, listen, load_texts, plan
from brug.core.db import create_db_engine
from brug.core.models import InboundUpdate, OutboxItem
from tests.constants import TOKEN, VAULT
from tests.databases import PostgresDatabases, SqliteDatabases
from tests.fake_bot_api import FakeBotAPI

# Telegram's default max_connections for a webhook.
WEBHOOK_CONNECTIONS = 40


@dataclass(frozen=True)
class Config:
    bot: str  # "brug", "brug-unthrottled" (no 30 messages/s limit), "echo" or "echo-limited" (30/s)
    mode: str  # "polling" or "webhook"
    database: str  # "sqlite", "postgres", or "-" for the echo bot
    workers: int = 1

    @property
    def is_brug(self) -> bool:
        return self.bot.startswith("brug")

    @property
    def label(self) -> str:
        return f"{self.bot} {self.mode}" + ("" if self.database == "-" else f" {self.database}")


@dataclass
class Result:
    config: Config
    users: int
    updates: int
    replied: int
    failures: list[str]
    seconds: float
    throughput: float  # replied updates per second
    latency_ms: dict[str, float]
    relay_ms: dict[str, float]
    outbox_delay_ms: dict[str, float]
    inbox_wait_ms: dict[str, float]
    cpu_seconds: float
    cpu_ms_per_update: float
    peak_rss_mb: float
    harness_cpu_seconds: float
    load_average: float = 0.0  # of the machine over the last minute of the run: other work sharing it
    api_errors: list[str] = field(default_factory=list)
    profile: list[tuple[str, float]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["failures"] = self.failures[:20]
        data["failure_count"] = len(self.failures)
        return data


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99 and max, in milliseconds; empty when there are no values."""
    if not values:
        return {}
    ordered = sorted(values)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 1)

    return {
        "p50": round(statistics.median(ordered) * 1000, 1),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": round(ordered[-1] * 1000, 1),
    }


class Databases:
    """A fresh, migrated database per Brug run: a SQLite file, or a PostgreSQL database from a template.
    With `keep`, SQLite files stay in `workdir` for a look afterwards (PostgreSQL ones are dropped)."""

    def __init__(self, workdir: Path, postgres_url: str | None, *, keep: bool = False) -> None:
        self._workdir = workdir
        self._keep = keep
        self._postgres_url = postgres_url
        self._sqlite: SqliteDatabases | None = None
        self._postgres: PostgresDatabases | None = None

    @contextlib.contextmanager
    def fresh(self, kind: str) -> Iterator[URL]:
        if kind == "sqlite":
            self._sqlite = self._sqlite or SqliteDatabases(self._workdir)
            directory = Path(tempfile.mkdtemp(dir=self._workdir))
            try:
                yield self._sqlite.create(directory)
            finally:
                if not self._keep:
                    shutil.rmtree(directory, ignore_errors=True)
            return
        if self._postgres_url is None:
            raise SystemExit("postgres: set TEST_DATABASE_URL or pass --database-url")
        self._postgres = self._postgres or PostgresDatabases(self._postgres_url)
        url = self._postgres.create()
        try:
            yield url
        finally:
            self._postgres.drop(url)

    def close(self) -> None:
        if self._postgres is not None:
            self._postgres.close()


def delays(url: URL) -> tuple[dict[str, float], dict[str, float]]:
    """Brug's own split of the time: outbox rows waiting to be sent, inbox rows waiting to be handled."""
    engine = create_db_engine(url, VAULT)
    try:
        with Session(engine) as session:
            outbox = session.exec(select(OutboxItem.created_at, OutboxItem.sent_at)).all()
            inbox = session.exec(select(InboundUpdate.received_at, InboundUpdate.handled_at)).all()
    finally:
        engine.dispose()
    return (
        percentiles([(sent - created).total_seconds() for created, sent in outbox if sent is not None]),
        percentiles([(done - received).total_seconds() for received, done in inbox if done is not None]),
    )


async def _wait_for_bot(fake: FakeBotAPI, mode: str, process: BotProcess) -> None:
    def ready() -> bool:
        if mode == "webhook":
            return fake.webhook_url is not None
        return bool(fake.calls("getUpdates"))

    deadline = time.monotonic() + 60
    while not ready():
        process.cpu_seconds()  # raises if the bot died
        if time.monotonic() > deadline:
            raise RuntimeError(f"{process.launch.name} did not start its {mode}")
        await asyncio.sleep(0.05)


async def _until_done(talk: asyncio.Future[Any], office: asyncio.Task[list[str]] | None) -> None:
    """Wait for the people; if the key person's task fails first, stop at once with its error."""
    if office is None:
        await talk
        return
    await asyncio.wait({talk, office}, return_when=asyncio.FIRST_COMPLETED)
    if office.done() and office.exception() is not None:
        talk.cancel()
        await office  # raises
    await talk


async def measure(
    config: Config,
    users: int,
    reply_timeout: float,
    workdir: Path,
    database_url: URL | None,
    profile_to: Path | None,
) -> Result:
    with FakeBotAPI(token=TOKEN, webhook_connections=WEBHOOK_CONNECTIONS) as fake:
        launch = _launch(config, fake.base_url, database_url)
        process = BotProcess(launch, workdir, config.label.replace(" ", "-"))
        process.start()
        try:
            process.wait_until_serving()
            await _wait_for_bot(fake, config.mode, process)
            result = await _load(config, users, reply_timeout, fake, process, profile_to)
        finally:
            process.stop()
    if database_url is not None and config.is_brug:
        result.outbox_delay_ms, result.inbox_wait_ms = delays(database_url)
    return result


def _launch(config: Config, fake_url: str, database_url: URL | None) -> Launch:
    if not config.is_brug:
        return echo_launch(config.mode, fake_url, config.workers, limited=config.bot == "echo-limited")
    assert database_url is not None
    add_key_person(database_url)
    url = database_url.render_as_string(hide_password=False)
    return brug_launch(config.mode, fake_url, url, config.workers, throttled=config.bot == "brug")


async def _load(
    config: Config,
    users: int,
    reply_timeout: float,
    fake: FakeBotAPI,
    process: BotProcess,
    profile_to: Path | None,
) -> Result:
    brug = config.is_brug
    texts, taps, tally = load_texts(), Taps(), Tally()
    relayed: dict[int, float] = {}
    people = [Person(u, fake, ChatLog(), tally, brug, taps, reply_timeout, relayed) for u in range(users)]
    logs = {person.chat: person.log for person in people}
    listen(fake, logs)
    stop = asyncio.Event()
    office = (
        asyncio.create_task(answer_cases(f"http://127.0.0.1:{process.launch.port}", relayed, stop))
        if brug
        else None
    )
    cpu_before, own_before = process.cpu_seconds(), own_cpu_seconds()
    with Profiler(process.pid, profile_to) as profiler:
        talk = asyncio.gather(*(person.converse(*plan(person.user, texts)) for person in people))
        await _until_done(talk, office)
    result = _result(config, users, tally, process.cpu_seconds() - cpu_before, process.peak_rss_bytes())
    result.harness_cpu_seconds = round(own_cpu_seconds() - own_before, 2)
    result.profile = profiler.hotspots()
    stop.set()
    result.api_errors = await office if office is not None else []
    return result


def _result(config: Config, users: int, tally: Tally, cpu: float, peak_rss: int) -> Result:
    seconds = max(tally.last_reply - tally.first_push, 1e-9)
    replied = len(tally.latencies)
    return Result(
        config=config,
        users=users,
        updates=tally.sent,
        replied=replied,
        failures=tally.failures,
        seconds=round(seconds, 2),
        throughput=round(replied / seconds, 1),
        latency_ms=percentiles(tally.latencies),
        relay_ms=percentiles(tally.relay_latencies),
        outbox_delay_ms={},
        inbox_wait_ms={},
        cpu_seconds=round(cpu, 2),
        cpu_ms_per_update=round(1000 * cpu / max(replied, 1), 2),
        peak_rss_mb=round(peak_rss / 2**20, 1),
        harness_cpu_seconds=0.0,
        load_average=round(os.getloadavg()[0], 1),
    )
