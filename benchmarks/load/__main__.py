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

DEFAULT_USERS = 500
QUICK_USERS = 100
RESULTS = Path(__file__).resolve().parents[1] / "results"
NOTE = (
    "Closed loop: each simulated person sends the next update only after the reply to the previous one. "
    "Latency: from the update reaching the fake Bot API to the first message the bot sends that chat. "
    "updates/s: answered updates over the time from the first update to the last reply. Outbox delay: "
    "Brug's outbox rows, created to sent. Relay: the key person's reply posted to the JSON API until it "
    "reaches the chat. CPU and peak RSS: the bot's processes only; harness: the load generator and the "
    "fake Bot API. Load avg: the machine's 1-minute load at the end of the run (other work shares it). "
    "brug-unthrottled: Brug without the 30 messages/s it keeps to for Telegram. echo-limited: the echo bot "
    "with PTB's AIORateLimiter, keeping the same 30 messages/s."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--users", type=int, default=DEFAULT_USERS)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_USERS} users, SQLite only")
    parser.add_argument("--modes", default="polling,webhook")
    parser.add_argument(
        "--databases", help="for Brug: sqlite, postgres (default: both, postgres only with a URL for it)"
    )
    parser.add_argument("--database-url", help="PostgreSQL admin URL (default: TEST_DATABASE_URL)")
    parser.add_argument(
        "--brug",
        default="brug,brug-unthrottled",
        help="Brug variants: brug (as shipped), brug-unthrottled (no 30 messages/s limit)",
    )
    parser.add_argument(
        "--baselines",
        default="echo,echo-limited",
        help="echo (bare, the issue's baseline), echo-limited (the same bot keeping 30 messages/s)",
    )
    parser.add_argument("--workers", type=int, default=1, help="webhook mode: server worker processes")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for one reply")
    parser.add_argument(
        "--profile", action="store_true", help="one more Brug run under py-spy (flame graph in --profile-dir)"
    )
    parser.add_argument("--profile-only", action="store_true", help="only the profiled Brug run")
    parser.add_argument(
        "--profile-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "brug-load-profile",
        help="where py-spy writes (megabytes: kept out of the repository)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--keep", type=Path, metavar="DIR", help="keep the bots' logs and SQLite databases here"
    )
    return parser


def configurations(
    modes: list[str], variants: list[str], databases: list[str], workers: int, baselines: list[str]
) -> list[Config]:
    configs = []
    for mode in modes:
        count = workers if mode == "webhook" else 1
        configs += [Config(baseline, mode, "-", count) for baseline in baselines]
        configs += [Config(bot, mode, database, count) for bot in variants for database in databases]
    return configs


async def _run_all(
    args: argparse.Namespace, configs: list[Config], workdir: Path
) -> tuple[list[Result], Result | None]:
    """Every configuration; then, with --profile, one more Brug run under py-spy (not in the comparison)."""
    databases = Databases(workdir, args.database_url, keep=args.keep is not None)
    try:
        comparison = [] if args.profile_only else configs
        results = [await _run_one(args, config, databases, workdir, None) for config in comparison]
        brug = [config for config in configs if config.is_brug]
        profiled = None
        if (args.profile or args.profile_only) and brug:
            target = next((c for c in brug if c.bot == "brug-unthrottled"), brug[0])
            profiled = await _run_one(args, target, databases, workdir, args.profile_dir)
            print(f"flame graph: {args.profile_dir / 'brug.flame.svg'}", file=sys.stderr)
    finally:
        databases.close()
    return results, profiled


async def _run_one(
    args: argparse.Namespace, config: Config, databases: Databases, workdir: Path, profile: Path | None
) -> Result:
    print(f"{config.label}: {args.users} users{' (profiled)' if profile else ''} …", file=sys.stderr)
    if config.is_brug:
        with databases.fresh(config.database) as url:
            result = await measure(config, args.users, args.timeout, workdir, url, profile)
    else:
        result = await measure(config, args.users, args.timeout, workdir, None, None)
    print(_summary(result), file=sys.stderr, flush=True)
    return result


def _summary(result: Result) -> str:
    latency = result.latency_ms
    return (
        f"  {result.throughput:.1f} updates/s, p50 {latency.get('p50', 0):.0f} ms, "
        f"p99 {latency.get('p99', 0):.0f} ms, failed {len(result.failures)}, "
        f"CPU {result.cpu_seconds:.1f} s, peak RSS {result.peak_rss_mb:.0f} MB"
    )


def main() -> int:
    args = _parser().parse_args()
    args.database_url = args.database_url or os.environ.get("TEST_DATABASE_URL")
    if args.quick:
        args.users = QUICK_USERS if args.users == DEFAULT_USERS else args.users
        args.databases = args.databases or "sqlite"
    if args.databases is None:
        args.databases = "sqlite,postgres" if args.database_url else "sqlite"
        if not args.database_url:
            print("no TEST_DATABASE_URL or --database-url: SQLite only", file=sys.stderr)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    if "postgres" in databases and not args.database_url:
        print("postgres: set TEST_DATABASE_URL or pass --database-url", file=sys.stderr)
        return 2
    variants = [v.strip() for v in args.brug.split(",") if v.strip()]
    baselines = [b.strip() for b in args.baselines.split(",") if b.strip()]
    configs = configurations(modes, variants, databases, args.workers, baselines)
    with tempfile.TemporaryDirectory(prefix="brug-load-") as directory:
        workdir = args.keep or Path(directory)
        workdir.mkdir(parents=True, exist_ok=True)
        results, profiled = asyncio.run(_run_all(args, configs, workdir))
    report = write(results, profiled, args.out, NOTE)
    print(report.read_text(encoding="utf-8"))
    failed = [f for r in [*results, *([profiled] if profiled else [])] for f in r.failures]
    if failed:
        print(f"{len(failed)} updates got no reply, e.g.:\n  " + "\n  ".join(failed[:10]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
