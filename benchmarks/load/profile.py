"""Where Brug's time goes under the load: py-spy attached to the running process.

Two recordings of the same run: a flame graph (SVG, to look at) and py-spy's "raw" collapsed stacks, from
which `hotspots` counts where the busy samples were: per library (innermost frame) and per Brug function
(anywhere on the stack). Samples of threads that only wait are left out of those shares.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Self

SAMPLE_RATE = 50  # two recorders; at 100 a second each they fell behind on a busy machine
_FRAME = re.compile(r"^(?P<name>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


class Profiler:
    """`with Profiler(pid, directory)`: py-spy records while the block runs; None as directory: nothing."""

    def __init__(self, pid: int, directory: Path | None) -> None:
        self._pid = pid
        self._directory = directory
        self._recorders: list[subprocess.Popen[bytes]] = []
        self.raw = directory / "brug.collapsed.txt" if directory else None

    def __enter__(self) -> Self:
        if self._directory is None:
            return self
        spy = shutil.which("py-spy") or str(Path(__file__).parents[2] / ".venv" / "bin" / "py-spy")
        self._directory.mkdir(parents=True, exist_ok=True)
        for fmt, name in (("flamegraph", "brug.flame.svg"), ("raw", "brug.collapsed.txt")):
            command = [spy, "record", "--pid", str(self._pid), "--rate", str(SAMPLE_RATE), "--nonblocking"]
            command += ["--format", fmt, "--output", str(self._directory / name)]
            log = (self._directory / f"py-spy-{fmt}.log").open("wb")
            self._recorders.append(subprocess.Popen(command, stdout=log, stderr=log))  # noqa: S603
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for recorder in self._recorders:
            recorder.send_signal(2)  # SIGINT: py-spy writes its output and exits
        for recorder in self._recorders:
            try:
                recorder.wait(timeout=60)
            except subprocess.TimeoutExpired:
                recorder.kill()

    def hotspots(self, top: int = 10) -> list[tuple[str, float]]:
        if self.raw is None or not self.raw.exists():
            return []
        return hotspots(self.raw.read_text(errors="replace"), top)


# Innermost frames of a thread that waits (for work, a lock or the event loop's C code) rather than runs.
_IDLE_LEAVES = (
    "_worker (concurrent/futures/thread.py:81)",
    "Runner.run (asyncio/runners.py:",
    "Condition.wait (threading.py:",
    "WorkerThread.run (anyio/",
)


def _where(file: str) -> str:
    """A frame's library (py-spy names files relative to sys.path): brug's module, a package, or stdlib."""
    if file.startswith("<frozen importlib"):
        return "importlib (imports)"
    top = file.split("/", 1)[0].removesuffix(".py")
    if top == "brug":
        return "brug." + file.removesuffix(".py").replace("/", ".").split(".", 1)[1]
    if top in sys.stdlib_module_names or top.startswith("<"):
        return "stdlib"
    return top


def _frames(stack: str) -> list[tuple[str, str]]:
    frames = []
    for frame in stack.split(";"):
        match = _FRAME.match(frame)
        if match is not None:
            frames.append((match["name"], _where(match["file"])))
    return frames


def hotspots(collapsed: str, top: int = 12) -> list[tuple[str, float]]:
    """Where the busy samples were: per library the innermost frame ("self"), and per Brug function the
    share with it anywhere on the stack, in % of busy samples; first the busy share of all samples."""
    libraries: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    busy = total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        if stack.rsplit(";", 1)[-1].startswith(_IDLE_LEAVES):
            continue
        busy += count
        frames = _frames(stack)
        if frames:
            libraries[f"self: {frames[-1][1]}"] += count
        brug = {f"{where}.{name}" for name, where in frames if where.startswith("brug.")}
        functions.update(dict.fromkeys(brug, count))
    if not busy:
        return []
    ranked = libraries.most_common(top) + functions.most_common(top)
    return [("busy (share of all thread samples)", round(100 * busy / total, 1))] + [
        (name, round(100 * n / busy, 1)) for name, n in ranked
    ]
