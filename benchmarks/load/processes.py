"""The two bots as processes of their own, and what they cost: CPU seconds and peak resident memory.

Both are read from /proc (Linux), summed over the process and its descendants (uvicorn workers), so a
bot's figures are its own and not the load generator's.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.constants import SECRET_KEY, TOKEN
from tests.processes import free_port

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
WEBHOOK_SECRET = "load-benchmark-secret"  # noqa: S105  for a fake server on loopback
POLL_TIMEOUT = 10


@dataclass(frozen=True)
class Launch:
    """How to start one bot: its command line and environment. Only the command line knows `workers`."""

    name: str
    command: list[str]
    env: dict[str, str]
    port: int
    health_path: str


def brug_launch(
    mode: str, fake_url: str, database_url: str, workers: int = 1, *, throttled: bool = True
) -> Launch:
    """`brug run` as an operator starts it, configured by environment only; unthrottled: without the
    30 messages/s limit (benchmarks/load/brug_unthrottled.py)."""
    port = free_port()
    env = {
        "BRUG_ENV": "test",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": fake_url,
        "DATABASE_URL": database_url,
        "BRUG_SECRET_KEY": SECRET_KEY,
        "TELEGRAM_POLL_TIMEOUT": str(POLL_TIMEOUT),
    }
    if mode == "webhook":
        env["BRUG_WEBHOOK_URL"] = f"http://127.0.0.1:{port}/telegram/webhook"
        env["BRUG_WEBHOOK_SECRET"] = WEBHOOK_SECRET
    module = "brug" if throttled else "benchmarks.load.brug_unthrottled"
    command = [sys.executable, "-m", module, "run", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    return Launch("brug", command, env, port, "/healthz")


def echo_launch(mode: str, fake_url: str, workers: int = 1, *, limited: bool = False) -> Launch:
    """The bare echo bot; limited: keeping Telegram's 30 messages/s as Brug does."""
    port = free_port()
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": fake_url,
        "TELEGRAM_POLL_TIMEOUT": str(POLL_TIMEOUT),
        "ECHO_RATE_LIMITED": "1" if limited else "0",
    }
    command = [sys.executable, "-m", "benchmarks.load.echo_bot", mode]
    if mode == "webhook":
        env["ECHO_WEBHOOK_URL"] = f"http://127.0.0.1:{port}/telegram/webhook"
        env["ECHO_WEBHOOK_SECRET"] = WEBHOOK_SECRET
        command += ["--port", str(port), "--workers", str(workers)]
    return Launch("echo", command, env, port, "/healthz" if mode == "webhook" else "")


def _descendants(pid: int) -> list[int]:
    """`pid` and every process below it."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [pid], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def _peak_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _tree_total(pid: int, read: Callable[[int], float]) -> float:
    total = 0.0
    for each in _descendants(pid):
        with contextlib.suppress(OSError, IndexError, ValueError):  # a process that ended meanwhile
            total += read(each)
    return total


class BotProcess:
    """One bot started as a subprocess, with its output in a log file."""

    def __init__(self, launch: Launch, workdir: Path, name: str) -> None:
        self.launch = launch
        self.log_path = workdir / f"{name}.log"
        self._workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        root = Path(__file__).resolve().parents[2]
        env = {**os.environ, **self.launch.env, "PYTHONPATH": str(root)}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603  our own interpreter and arguments
                self.launch.command, env=env, cwd=self._workdir, stdout=log, stderr=log
            )

    def wait_until_serving(self, timeout: float = 60.0) -> None:
        """Until the HTTP server answers its health check (polling echo bot: nothing to wait for here)."""
        if not self.launch.health_path:
            return
        url = f"http://127.0.0.1:{self.launch.port}{self.launch.health_path}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                if httpx.get(url, timeout=2).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.launch.name} did not answer {url} within {timeout:g}s")

    def _check_alive(self) -> None:
        assert self.process is not None
        if self.process.poll() is not None:
            tail = self.log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{self.launch.name} exited with {self.process.returncode}:\n{tail}")

    def cpu_seconds(self) -> float:
        self._check_alive()
        return _tree_total(self.pid, _cpu_seconds)

    def peak_rss_bytes(self) -> int:
        self._check_alive()
        return int(_tree_total(self.pid, _peak_rss_bytes))

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def own_cpu_seconds() -> float:
    """CPU of this process (load generator and fake Bot API), to see whether the harness was the limit."""
    return _cpu_seconds(os.getpid())
