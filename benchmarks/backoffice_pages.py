"""How fast the back office answers on a big database, over real HTTP.

    python -m benchmarks.seed_backoffice --database-url URL      # once: 100,000 cases, 1,000,000 messages
    python -m benchmarks.backoffice_pages --database-url URL [--requests 200]

Starts `brug run` (back office only: no Telegram token) in a subprocess on a free loopback port, logs in as
a coordinator (`coord1`, sees everything) and as a key person with one language (`kp-dari`), and asks, one
request at a time, for the queue page `/`, `GET /api/cases` (what the queue polls), the case page and
`GET /api/cases/{id}` of random cases they may see (a third open or claimed, a third closed, a third closed
ones of the users with the longest histories), and, for the coordinator only and reported only, the
dashboard and the audit log. Prints p50/p95/p99 per page and role, and the server process's CPU time per
request (Linux), which other load on the machine disturbs far less than the wall clock. Goal: queue and
case pages p95 < 100 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import func
from sqlmodel import Session, col, select

from benchmarks.seed_backoffice import PASSWORD
from brug.core.casework import visible
from brug.core.db import create_db_engine
from brug.core.models import Case, CaseStatus, KeyPerson, Message, utcnow
from tests.constants import VAULT

ROLES = {"coordinator": "coord1", "key person (Dari only)": "kp-dari"}
WARM_UP = 5
LONG_HISTORIES = 50


@dataclass(frozen=True)
class Result:
    page: str
    role: str
    seconds: list[float]
    size: int
    cpu_seconds: float

    def percentile(self, share: float) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    def row(self) -> str:
        p50, p95, p99 = (self.percentile(share) for share in (0.50, 0.95, 0.99))
        return (
            f"| {self.page} | {self.role} | {len(self.seconds)} | {p50:.1f} | {p95:.1f} | {p99:.1f} "
            f"| {max(self.seconds) * 1000:.1f} | {self.cpu_seconds / len(self.seconds) * 1000:.1f} "
            f"| {self.size // 1024} |"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    base_url: str
    pid: int

    def cpu_seconds(self) -> float:
        """User and system CPU time of the server process so far (Linux): unlike the wall clock, it
        hardly changes when other work on the machine competes for the cores."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def server(database_url: str) -> Iterator[Server]:
    """`brug run` as an operator starts it, without a Telegram token."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "TELEGRAM_BOT_TOKEN"}
    env["DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "brug", "run", "--port", str(port)]
    process = subprocess.Popen(  # noqa: S603  our own interpreter and module
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("backoffice_pages: the back office did not start")
            time.sleep(0.2)
        yield Server(base_url, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=20)


def cases_to_open(database_url: str, username: str, count: int, rng: random.Random) -> list[int]:
    """Cases this person may see: a third open or claimed, a third closed, a third from long histories."""
    engine = create_db_engine(database_url, VAULT)
    try:
        with Session(engine) as session:
            person = session.exec(select(KeyPerson).where(KeyPerson.username == username)).one()
            mine = select(Case.id).where(visible(person, utcnow()))
            active = session.exec(mine.where(col(Case.status) != CaseStatus.CLOSED)).all()
            closed = session.exec(
                mine.where(col(Case.status) == CaseStatus.CLOSED).order_by(func.random()).limit(count)
            ).all()
            talkative = (
                select(Message.user_id)
                .group_by(col(Message.user_id))
                .order_by(func.count().desc())
                .limit(LONG_HISTORIES)
            )
            long_ones = session.exec(mine.where(col(Case.user_id).in_(talkative))).all()
    finally:
        engine.dispose()
    picks: list[int] = []
    for pool in (active, closed, long_ones):
        ids = [case_id for case_id in pool if case_id is not None]
        if ids:
            picks += rng.choices(ids, k=count // 3 + 1)
    rng.shuffle(picks)
    return picks[:count]


def timed(
    client: httpx.Client, server: Server, paths: Callable[[int], str], requests: int
) -> tuple[list[float], int, float]:
    seconds, size, cpu_at_start = [], 0, 0.0
    for number in range(-WARM_UP, requests):
        if number == 0:
            cpu_at_start = server.cpu_seconds()
        path = paths(number)
        started = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"backoffice_pages: GET {path} answered {response.status_code}")
        if number >= 0:
            seconds.append(elapsed)
            size = max(size, len(response.content))
    return seconds, size, server.cpu_seconds() - cpu_at_start


def measure(server: Server, database_url: str, requests: int, rng: random.Random) -> list[Result]:
    results = []
    for role, username in ROLES.items():
        results += _measure_role(server, database_url, role, username, requests, rng)
    return results


def _measure_role(
    server: Server, database_url: str, role: str, username: str, requests: int, rng: random.Random
) -> list[Result]:
    results = []
    cases = cases_to_open(database_url, username, requests + WARM_UP, rng)
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        login = client.post("/api/session", json={"username": username, "password": PASSWORD})
        login.raise_for_status()
        pages: dict[str, tuple[Callable[[int], str], int]] = {
            "queue page /": (lambda _: "/", requests),
            "GET /api/cases": (lambda _: "/api/cases", requests),
            "case page /cases/{id}": (lambda n: f"/cases/{cases[n % len(cases)]}", requests),
            "GET /api/cases/{id}": (lambda n: f"/api/cases/{cases[n % len(cases)]}", requests),
        }
        if role == "coordinator":
            pages["dashboard (report only)"] = (lambda _: "/dashboard", max(10, requests // 10))
            pages["audit log (report only)"] = (lambda _: "/audit", max(10, requests // 10))
        for page, (paths, count) in pages.items():
            seconds, size, cpu = timed(client, server, paths, count)
            results.append(Result(page, role, seconds, size, cpu))
            print(results[-1].row(), flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=200, help="per page and role")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print("| page | role | requests | p50 ms | p95 ms | p99 ms | max ms | server CPU ms | largest KiB |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    with server(args.database_url) as running:
        results = measure(running, args.database_url, args.requests, random.Random(args.seed))  # noqa: S311
    goal = [r for r in results if "report only" not in r.page]
    worst = max(goal, key=lambda r: r.percentile(0.95))
    print(f"worst p95 of queue and case pages: {worst.percentile(0.95):.1f} ms ({worst.page}, {worst.role})")
    print("goal p95 < 100 ms:", "met" if worst.percentile(0.95) < 100 else "NOT met")


if __name__ == "__main__":
    main()
