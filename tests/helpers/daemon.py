"""Running `bot run` as real child processes: a fast-interval runner, the environment, a process with its output in files."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from twins.xserver import CREDENTIALS

from helpers import botproc

EXIT_WITHIN = 25.0  # SIGTERM to exit (the design notes: Heroku kills after 30 s)


# `bot run` with a 1-second interval: the CLI's own settings loader, with daemon.interval lowered.
FAST_RUN = textwrap.dedent("""
    import sys
    from types import MappingProxyType
    from bot.cli import main as cli
    from bot.core import settings as config

    def fast_settings():
        s = config.load()
        values = dict(s.values)
        values["daemon.interval"] = 1
        return config.Settings(MappingProxyType(values), s.sources, s.secrets, s.config_file)

    cli._settings = fast_settings
    cli.main(["run"])
""")


def bot_env(tmp: Path, feed_url: str, x_url: str, name: str, **extra: str) -> dict[str, str]:
    """The environment of one bot process (helpers/botproc.bot_env), with its own output and heartbeat files."""
    return botproc.bot_env(tmp, x_url, CREDENTIALS, **{
        "BOT_FEED_URL": feed_url, "BOT_WRITER_BACKEND": "extractive", "BOT_OUTPUT_DIR": str(tmp / f"out-{name}"),
        "BOT_DAEMON_HEARTBEAT_FILE": str(tmp / f"hb-{name}"), "BOT_DAEMON_JITTER": "0",
        "BOT_DAEMON_STALL_AFTER": "60", "BOT_LOG_LEVEL": "INFO", **extra})


class Proc:
    """A bot subprocess whose stdout and stderr go to files in tmp (read while it runs, never a full pipe)."""

    def __init__(self, args: list[str], env: dict[str, str], tmp: Path, name: str) -> None:
        self.out, self.err = tmp / f"{name}.out", tmp / f"{name}.err"
        with self.out.open("w") as out, self.err.open("w") as err:
            # cwd = tmp: no config/bot.toml and no .env of the developer's checkout is read
            self.popen = subprocess.Popen([sys.executable, *args], env=env, cwd=tmp, stdout=out, stderr=err)

    def text(self) -> str:
        return self.out.read_text() + self.err.read_text()

    def heartbeats(self) -> int:
        return self.err.read_text().count("heartbeat: polled")

    def stop(self, timeout: float = EXIT_WITHIN) -> int:
        """SIGTERM, then the exit code within `timeout` (SIGKILL and a failure if it does not exit)."""
        self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(10)
            pytest.fail(f"no exit within {timeout} s of SIGTERM:\n{self.text()[-3000:]}")

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(10)


def wait_for(what: str, condition: Callable[[], bool], procs: list[Proc], timeout: float = 30) -> None:
    """Poll `condition` until it holds; fail after `timeout` seconds or when a process ended early."""
    deadline = time.monotonic() + timeout
    while not condition():
        for proc in procs:
            assert proc.popen.poll() is None, f"the bot exited ({proc.popen.returncode}) before {what}:\n{proc.text()[-3000:]}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}:\n" + "\n".join(p.text()[-3000:] for p in procs)
        time.sleep(0.05)
