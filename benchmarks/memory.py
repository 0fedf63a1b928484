"""Resident memory of one started `brug run` (one process, SQLite, long polling against the fake Bot API).

    python -m benchmarks.memory [--rounds 3] [--settle 3] [--users 0] [--env NAME=VALUE ...]

Starts the bot as the load benchmark does, waits until it polls, lets it settle and reads VmRSS and VmHWM
(peak) from /proc; with `--users N`, then runs the load benchmark's conversation for N people and reads
them again; then stops it. `--env` adds environment variables (e.g. MALLOC_ARENA_MAX=2) to compare
deployment settings. The figures are of the bot's process only.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from benchmarks.load.keyperson import add_key_person
from benchmarks.load.processes import CLOCK_TICKS, BotProcess, brug_launch
from benchmarks.load.run import Config, Databases, _load, _wait_for_bot
from tests.constants import TOKEN
from tests.fake_bot_api import FakeBotAPI


def _status(pid: int) -> dict[str, int]:
    """The kB fields of /proc/PID/status that matter here."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"):
            fields[name] = int(value.split()[0])
    return fields


def _children_cpu_ms(pid: int) -> int:
    """CPU of the child processes that ended (the detector's build, the migration): cutime + cstime."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int((int(fields[13]) + int(fields[14])) * 1000 / CLOCK_TICKS)


async def _one(
    workdir: Path, settle: float, users: int, extra_env: dict[str, str], wrap: Path | None
) -> list[dict[str, int]]:
    databases = Databases(workdir, None)
    with databases.fresh("sqlite") as url, FakeBotAPI(token=TOKEN) as fake:
        add_key_person(url)
        launch = brug_launch("polling", fake.base_url, url.render_as_string(hide_password=False))
        launch.env.update(extra_env)
        if wrap is not None:  # a script that runs brug.cli.main, e.g. under tracemalloc
            launch.command[1:3] = [str(wrap)]
        process = BotProcess(launch, workdir, "brug-memory")
        started = time.monotonic()
        process.start()
        try:
            process.wait_until_serving()
            await _wait_for_bot(fake, "polling", process)
            ready = time.monotonic() - started
            await asyncio.sleep(settle)
            fields = _status(process.pid)
            fields["cpu_ms"] = int(process.cpu_seconds() * 1000)
            fields["children_cpu_ms"] = _children_cpu_ms(process.pid)
            fields["ready_ms"] = int(ready * 1000)
            measured = [fields]
            if users:
                config = Config("brug", "polling", "sqlite")
                result = await _load(config, users, 180.0, fake, process, None)
                after = _status(process.pid)
                after["cpu_ms"] = int(process.cpu_seconds() * 1000)
                after["children_cpu_ms"] = _children_cpu_ms(process.pid)
                after["ready_ms"] = int(result.seconds * 1000)
                measured.append(after)
        finally:
            process.stop()
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--settle", type=float, default=3.0, help="seconds after the first getUpdates")
    parser.add_argument("--users", type=int, default=0, help="then the load benchmark's N people")
    parser.add_argument("--wrap", type=Path, help="a script to run instead of `-m brug` (same arguments)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    extra_env = dict(item.split("=", 1) for item in args.env)
    with tempfile.TemporaryDirectory() as workdir:
        for _ in range(args.rounds):
            measured = asyncio.run(_one(Path(workdir), args.settle, args.users, extra_env, args.wrap))
            for when, fields in zip(("started", "after load"), measured, strict=False):
                print(
                    f"{when}: RSS {fields['VmRSS'] / 1024:.1f} MB (anon {fields['RssAnon'] / 1024:.1f}, "
                    f"file {fields['RssFile'] / 1024:.1f}), peak {fields['VmHWM'] / 1024:.1f} MB, "
                    f"{fields['Threads']} threads, CPU {fields['cpu_ms']} ms "
                    f"(+{fields['children_cpu_ms']} ms in ended children), in {fields['ready_ms']} ms",
                    flush=True,
                )


if __name__ == "__main__":
    main()
