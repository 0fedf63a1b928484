"""Brug vs a bare python-telegram-bot echo bot under N simulated people, through the fake Bot API.

    python -m benchmarks.load [--users 500] [--quick] [--modes polling,webhook]
        [--databases sqlite,postgres] [--database-url URL] [--workers 1] [--profile] [--out DIR]

Each bot runs as its own process (Brug: `brug run`; the echo bot: benchmarks/load/echo_bot.py) against a
fresh fake Bot API in this process. Per configuration it reports throughput, latency from the update
reaching the fake Bot API to the first reply (p50/p95/p99), Brug's outbox delay and the key person's
relay time, the bot's CPU seconds and peak RSS; then Brug's ratios to the echo bot, a markdown and JSON
report and a plot in --out. PostgreSQL needs TEST_DATABASE_URL or --database-url (a server where it may
create and drop databases). Exit status 1 when any update went unanswered.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

from benchmarks.load.report import write
from benchmarks.load.run import Config, Databases, Result, measure

RESULTS = Path(__file__).resolve().parents[1] / "results"
NOTE = (
    "Closed loop: each simulated person sends the next update only after the reply to the previous one. "
    "Both bots, the fake Bot API and the load generator share one machine."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="100 users, SQLite only")
    parser.add_argument("--modes", default="polling,webhook")
    parser.add_argument("--databases", default="sqlite,postgres", help="for Brug: sqlite, postgres")
    parser.add_argument("--database-url", help="PostgreSQL admin URL (default: TEST_DATABASE_URL)")
    parser.add_argument("--workers", type=int, default=1, help="webhook mode: server worker processes")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for one reply")
    parser.add_argument("--profile", action="store_true", help="py-spy on the first Brug run")
    parser.add_argument("--out", type=Path, default=RESULTS)
    return parser


def configurations(modes: list[str], databases: list[str], workers: int) -> list[Config]:
    configs = []
    for mode in modes:
        count = workers if mode == "webhook" else 1
        configs.append(Config("echo", mode, "-", count))
        configs += [Config("brug", mode, database, count) for database in databases]
    return configs


async def _run_all(args: argparse.Namespace, configs: list[Config], workdir: Path) -> list[Result]:
    postgres = args.database_url or os.environ.get("TEST_DATABASE_URL")
    databases = Databases(workdir, postgres)
    results: list[Result] = []
    profile_dir = args.out / "profile" if args.profile else None
    try:
        for config in configs:
            print(f"{config.label}: {args.users} users …", file=sys.stderr, flush=True)
            profile = profile_dir if config.bot == "brug" else None
            if config.bot == "echo":
                result = await measure(config, args.users, args.timeout, workdir, None, None)
            else:
                with databases.fresh(config.database) as url:
                    result = await measure(config, args.users, args.timeout, workdir, url, profile)
                profile_dir = None
            print(_summary(result), file=sys.stderr, flush=True)
            results.append(result)
    finally:
        databases.close()
    return results


def _summary(result: Result) -> str:
    latency = result.latency_ms
    return (
        f"  {result.throughput:.1f} updates/s, p50 {latency.get('p50', 0):.0f} ms, "
        f"p99 {latency.get('p99', 0):.0f} ms, failed {len(result.failures)}, "
        f"CPU {result.cpu_seconds:.1f} s, peak RSS {result.peak_rss_mb:.0f} MB"
    )


def main() -> int:
    args = _parser().parse_args()
    if args.quick:
        args.users = min(args.users, 100) if args.users != 500 else 100
        args.databases = "sqlite"
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    configs = configurations(modes, databases, args.workers)
    with tempfile.TemporaryDirectory(prefix="brug-load-") as directory:
        results = asyncio.run(_run_all(args, configs, Path(directory)))
    report = write(results, args.out, NOTE)
    print(report.read_text(encoding="utf-8"))
    failed = [f for r in results for f in r.failures]
    if failed:
        print(f"{len(failed)} updates got no reply, e.g.:\n  " + "\n  ".join(failed[:10]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
