"""Where Brug's time goes under the load: py-spy attached to the running process.

Two recordings of the same run: a flame graph (SVG, to look at) and py-spy's "raw" collapsed stacks, from
which `hotspots` counts, per library and per Brug function, the share of samples it is on the stack.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Self

SAMPLE_RATE = 100
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

    def hotspots(self, top: int = 12) -> list[tuple[str, float]]:
        if self.raw is None or not self.raw.exists():
            return []
        return hotspots(self.raw.read_text(errors="replace"), top)


def _where(file: str) -> str:
    """A frame's library: the top package under site-packages, brug's module, or the standard library."""
    if "site-packages/" in file:
        return file.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if "/brug/" in file or file.startswith("brug/"):
        module = file.split("brug/", 1)[1].removesuffix(".py").replace("/", ".")
        return f"brug.{module}"
    return "stdlib"


def hotspots(collapsed: str, top: int = 12) -> list[tuple[str, float]]:
    """Share of samples (%) in which each library or Brug function is on the stack, largest first.

    "self:" entries count the innermost frame only: where the CPU actually was.
    """
    inclusive: Counter[str] = Counter()
    innermost: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        seen: set[str] = set()
        last = "?"
        for frame in stack.split(";"):
            match = _FRAME.match(frame)
            if match is None:
                continue
            where = _where(match["file"])
            last = where
            keys = {where} | ({f"{where}.{match['name']}"} if where.startswith("brug") else set())
            seen |= keys
        inclusive.update(dict.fromkeys(seen, count))
        innermost[f"self: {last}"] += count
    if not total:
        return []
    ranked = (inclusive + innermost).most_common(top * 2)
    return [(name, round(100 * n / total, 1)) for name, n in ranked][: top * 2]
