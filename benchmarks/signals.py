"""Throughput of the stress-signal detector on one core.

    python -m benchmarks.signals [--seconds N]

Runs `detect` over the dev set and the held-out set, repeated until N seconds have passed, and prints
messages per second, microseconds per message (p50, p99), and the peak resident memory of the process.
A second, "cold" figure runs every message with a never-seen word appended, so the per-word cache in
`normalise` does not help: closer to a stream of new vocabulary.

Messages per second are given twice: by the wall clock, and per second of CPU time this process used.
On a shared machine the wall-clock figure also counts the time other processes held the core; the CPU
figure is what one core of our own does (it still suffers from caches the others flush).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from brug.bot.signals import detect
from brug.bot.signals.detector import warm_up

ROOT = Path(__file__).resolve().parents[1]
SOURCES = (
    ROOT.parent / "shared" / "signals" / "dev.jsonl",
    ROOT / "tests" / "bot" / "signals" / "heldout.jsonl",
)


def load_messages(paths: Sequence[Path]) -> list[str]:
    messages = []
    for path in paths:
        if not path.exists():
            print(f"skipping {path}: not found", file=sys.stderr)
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                messages.append(str(json.loads(line)["text"]))
    return messages


def measure(
    messages: Sequence[str], seconds: float, prepare: Callable[[str, int], str]
) -> tuple[list[float], float]:
    """Per-message wall-clock durations in seconds, over as many passes as fit in `seconds` (at least
    one), and the CPU seconds the passes took."""
    durations: list[float] = []
    clock = time.perf_counter
    deadline = clock() + seconds
    counter = 0
    cpu_started = time.process_time()
    while True:
        for message in messages:
            text = prepare(message, counter)
            counter += 1
            started = clock()
            detect(text)
            durations.append(clock() - started)
        if clock() >= deadline:
            return durations, time.process_time() - cpu_started


def summary(label: str, measured: tuple[list[float], float]) -> str:
    durations, cpu_seconds = measured
    total = sum(durations)
    cuts = statistics.quantiles(durations, n=100)
    return (
        f"{label:<6} {len(durations):>8} messages  {len(durations) / total:>9,.0f} msgs/s  "
        f"({len(durations) / cpu_seconds:,.0f} per CPU second)  "
        f"p50 {cuts[49] * 1e6:6.1f} µs  p99 {cuts[98] * 1e6:6.1f} µs"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=2.0, help="how long each run lasts (default 2)")
    args = parser.parse_args(argv)
    messages = load_messages(SOURCES)
    if not messages:
        print("no messages to run", file=sys.stderr)
        return 1
    started = time.perf_counter()
    warm_up()
    print(f"lexicons loaded in {time.perf_counter() - started:.2f} s; {len(messages)} distinct messages")
    print(summary("warm", measure(messages, args.seconds, lambda text, _: text)))
    print(summary("cold", measure(messages, args.seconds, lambda text, i: f"{text} xq{i}z")))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB (whole process: Python, lexicons and automaton)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
