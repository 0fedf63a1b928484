"""`brug run` as a real child process, for tests that stop it hard and start it again."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import URL

from tests.constants import SECRET_KEY, TOKEN
from tests.fake_bot_api import FakeBotAPI

WEBHOOK_SECRET = "crash-test_webhook-secret"


def brug_env(database_url: URL, fake: FakeBotAPI) -> dict[str, str]:
    """The environment of a `brug run` that talks to the fake Bot API by long polling."""
    return {
        **os.environ,
        "BRUG_ENV": "test",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": fake.base_url,
        "DATABASE_URL": database_url.render_as_string(hide_password=False),
        "BRUG_SECRET_KEY": SECRET_KEY,
        "TELEGRAM_POLL_TIMEOUT": "1",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class BrugProcess:
    """One `brug run` at a time; `webhook=True` gives each start its own port and webhook URL; `workers`
    above 1 starts that many worker processes under one parent (PostgreSQL and webhook only)."""

    def __init__(self, env: dict[str, str], log: Path, *, webhook: bool = False, workers: int = 1) -> None:
        self._env = env
        self._log = log
        self._webhook = webhook
        self._workers = workers
        self.process: subprocess.Popen[bytes] | None = None

    def log(self) -> str:
        return self._log.read_text(encoding="utf-8", errors="replace")

    def start(self) -> None:
        port = free_port()
        env = dict(self._env)
        if self._webhook:
            env["BRUG_WEBHOOK_URL"] = f"http://127.0.0.1:{port}/telegram/webhook"
            env["BRUG_WEBHOOK_SECRET"] = WEBHOOK_SECRET
        with self._log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "brug", "run", "--port", str(port), "--workers", str(self._workers)],
                env=env,
                stdout=log,
                stderr=log,
            )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
