"""The report of a load run: a JSON file with every figure, a short markdown table, and one plot."""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.load.run import Result


def ratios(results: Sequence[Result], baseline: str = "echo") -> list[tuple[str, float, float]]:
    """Each Brug configuration against the baseline bot in its mode: (label, throughput ratio, p99 ratio)."""
    echo = {r.config.mode: r for r in results if r.config.bot == baseline}
    rows = []
    for result in results:
        base = echo.get(result.config.mode)
        if not result.config.is_brug or base is None or not base.throughput:
            continue
        p99, base_p99 = result.latency_ms.get("p99", 0.0), base.latency_ms.get("p99", 0.0)
        rows.append(
            (result.config.label, result.throughput / base.throughput, p99 / base_p99 if base_p99 else 0.0)
        )
    return rows


def _ms(figures: dict[str, float]) -> str:
    if not figures:
        return "–"
    return f"{figures['p50']:.0f} / {figures['p95']:.0f} / {figures['p99']:.0f}"


def markdown(results: Sequence[Result], profiled: Result | None, note: str) -> str:
    lines = [
        f"# Load: Brug vs a bare python-telegram-bot ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        "",
        note,
        "",
        "| configuration | users | updates | failed | updates/s | latency p50/p95/p99 ms "
        "| inbox wait p50/p95/p99 ms | outbox delay p50/p95/p99 ms | relay p50/p95/p99 ms "
        "| CPU s (ms/update) | peak RSS MB "
        "| harness CPU s | load avg |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        lines.append(
            f"| {r.config.label} | {r.users} | {r.updates} | {len(r.failures)} | {r.throughput:.1f} "
            f"| {_ms(r.latency_ms)} | {_ms(r.inbox_wait_ms)} | {_ms(r.outbox_delay_ms)} | {_ms(r.relay_ms)} "
            f"| {r.cpu_seconds:.1f} ({r.cpu_ms_per_update:.1f}) | {r.peak_rss_mb:.0f} "
            f"| {r.harness_cpu_seconds:.1f} | {r.load_average:.1f} |"
        )
    lines += [
        "",
        "| Brug configuration | throughput ÷ echo (goal ≥ 0.8) | p99 ÷ echo (goal ≤ 2) |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {label} | {t:.2f} | {p:.1f} |" for label, t, p in ratios(results)]
    limited = ratios(results, "echo-limited")
    if limited:
        lines += [
            "",
            "Against the same echo bot keeping Telegram's 30 messages/s (PTB's AIORateLimiter), like Brug:",
            "",
            "| Brug configuration | throughput ÷ echo-limited | p99 ÷ echo-limited |",
            "| --- | --- | --- |",
        ]
        lines += [f"| {label} | {t:.2f} | {p:.1f} |" for label, t, p in limited]
    if profiled is not None:
        lines += [
            "",
            f"Profile of {profiled.config.label}, a separate run under py-spy ({profiled.throughput:.1f} "
            "updates/s): share of samples with it on the stack; self: where the CPU was.",
            "",
        ]
        lines += [f"- {name}: {share:.1f} %" for name, share in profiled.profile]
    return "\n".join(lines) + "\n"


def plot(results: Sequence[Result], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [r.config.label for r in results]
    palette = {
        "brug": "tab:blue",
        "brug-unthrottled": "lightskyblue",
        "echo": "tab:gray",
        "echo-limited": "silver",
    }
    colours = [palette.get(r.config.bot, "tab:gray") for r in results]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.barh(labels, [r.throughput for r in results], color=colours)
    left.set_xlabel("updates/s (higher is better)")
    right.barh(labels, [r.latency_ms.get("p99", 0.0) / 1000 for r in results], color=colours)
    right.set_xlabel("p99 latency, s (lower is better)")
    right.set_yticklabels([])
    for axis in (left, right):
        axis.invert_yaxis()
        axis.grid(axis="x", alpha=0.3)
    figure.suptitle(
        f"{results[0].users} users: Brug (dark blue; light: no 30 msgs/s limit) "
        "vs bare PTB echo bot (grey; light: 30 msgs/s)"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


def write(results: Sequence[Result], profiled: Result | None, directory: Path, note: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    data = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "note": note,
        "results": [r.as_json() for r in results],
        "ratios": ratios(results),
        "ratios_limited": ratios(results, "echo-limited"),
        "profiled": profiled.as_json() if profiled else None,
    }
    (directory / "load.json").write_text(
        json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    report = directory / "load.md"
    report.write_text(markdown(results, profiled, note), encoding="utf-8")
    if results:
        plot(results, directory / "load.png")
    return report
