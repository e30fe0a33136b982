"""Run the real `bot` command (`python -m bot`) as a child process, with a clean environment aimed at local servers.

The child never sees the developer's tokens, settings file or .env: its environment is the test's minus every
X_*, BOT_*, HF_* and DATABASE_URL variable, its working folder is the test's tmp folder, and what it needs is
set explicitly (fake X credentials, X_API_BASE_URL, the SQLite file, the offline card image).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_FEED = ROOT / "bot" / "data" / "sample_feed.xml"
ENTRY = "https://quietindex.substack.com/p/why-small-newsletters-win"
RUN_TIMEOUT = 60.0  # seconds one `bot` command may take before the test fails


def bot_env(tmp: Path, x_url: str = "", credentials: dict[str, str] | None = None, **extra: str) -> dict[str, str]:
    """The child's environment: clean, with the SQLite store and the output in `tmp`, card images, no model."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("X_", "BOT_", "HF_", "HUGGING")) and k != "DATABASE_URL"}
    env.update(PYTHONDONTWRITEBYTECODE="1", COLUMNS="200", BOT_STORE_SQLITE_PATH=str(tmp / "bot.db"),
               BOT_IMAGE_CHAIN="card", GRADIO_ANALYTICS_ENABLED="False", HF_HOME=str(tmp / "hf-home"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])))
    if x_url:
        env["X_API_BASE_URL"] = x_url
    env.update(credentials or {})
    env.update(extra)
    return env


def run_bot(args: list[str], env: dict[str, str], cwd: Path, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` to the end; its exit code, stdout and stderr."""
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


class BotProcess:
    """`python -m bot ARGS` started in the background (output to files, so a killed child leaves no pipe behind)."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path, name: str = "bot",
                 preexec: Any = None) -> None:
        self.out_path, self.err_path = cwd / f"{name}.stdout", cwd / f"{name}.stderr"
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "bot", *args], env=env, cwd=cwd, stdout=out,
                                         stderr=err, text=True, preexec_fn=preexec)

    def __enter__(self) -> BotProcess:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.kill()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")

    def stdout(self) -> str:
        return self.out_path.read_text(errors="replace")

    def kill(self) -> int:
        """SIGKILL the child (if it still runs) and reap it; its return code."""
        if self.proc.poll() is None:
            self.proc.kill()
        return self.proc.wait(10)


def wait_until(condition: Any, timeout: float, what: str, proc: BotProcess | None = None) -> None:
    """Poll `condition()` until true; fail after `timeout` s, or at once when `proc` ends first."""
    deadline = time.monotonic() + timeout
    while not condition():
        if proc is not None and not proc.alive():
            raise AssertionError(f"the bot ended (exit {proc.proc.returncode}) before {what}:\n{proc.stderr()[-2000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)
