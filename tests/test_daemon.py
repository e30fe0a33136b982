"""The daemon: one cycle, the schedule, a clean exit on SIGTERM, the heartbeat, the watchdog, failures survived."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from bot import config, daemon
from bot.clock import SystemClock


def settings(tmp_path: Path, **env: str) -> config.Settings:
    base = {"BOT_FEED_URL": "https://a.example/feed,https://b.example/feed",
            "BOT_DAEMON_HEARTBEAT_FILE": str(tmp_path / "hb")}
    return config.load({**base, **env}, dotenv=None)


def test_once_polls_every_feed_and_writes_the_heartbeat(tmp_path: Path) -> None:
    seen: list[str] = []
    code = daemon.run(settings(tmp_path), lambda url, stop: seen.append(url), SystemClock(), once=True)
    assert code == 0 and seen == ["https://a.example/feed", "https://b.example/feed"]
    assert (tmp_path / "hb").read_text().startswith("20")


def test_a_failing_feed_does_not_stop_the_others(tmp_path: Path) -> None:
    seen: list[str] = []

    def poll(url: str, stop: object) -> None:
        seen.append(url)
        if "a.example" in url:
            raise RuntimeError("boom")

    assert daemon.run(settings(tmp_path), poll, SystemClock(), once=True) == 1
    assert len(seen) == 2


def test_no_feeds_is_one_clear_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    code = daemon.run(settings(tmp_path, BOT_FEED_URL=""), lambda u, s: None, SystemClock(), once=True)
    assert code == 1 and "set BOT_FEED_URL" in caplog.text


def test_scheduler_polls_each_feed_and_stops_on_request(tmp_path: Path) -> None:
    counts: dict[str, int] = {}
    stop = threading.Event()

    def poll(url: str, should_stop: object) -> None:
        counts[url] = counts.get(url, 0) + 1
        if sum(counts.values()) >= 4:
            stop.set()

    s = settings(tmp_path, BOT_DAEMON_INTERVAL="30", BOT_DAEMON_JITTER="0")
    # The interval is 30 s, so the polls seen here are the immediate first runs; stop ends the loop.
    thread = threading.Thread(target=lambda: daemon.run(s, poll, SystemClock(), stop_event=stop))
    thread.start()
    time.sleep(3)
    stop.set()
    thread.join(25)
    assert not thread.is_alive()
    assert set(counts) == {"https://a.example/feed", "https://b.example/feed"}


CHILD = textwrap.dedent("""
    import sys, time, logging
    logging.basicConfig(level=logging.INFO)
    from bot import config, daemon
    from bot.clock import SystemClock
    s = config.load({"BOT_FEED_URL": "https://a.example/feed", "BOT_DAEMON_INTERVAL": "30",
                     "BOT_DAEMON_JITTER": "0", "BOT_DAEMON_HEARTBEAT_FILE": sys.argv[1],
                     "BOT_DAEMON_STALL_AFTER": sys.argv[2]}, dotenv=None)
    def poll(url, should_stop):
        if sys.argv[3] == "hang":
            time.sleep(60)
        for _ in range(50):            # a thread being published, checking between tweets
            if should_stop():
                print("checkpointed", flush=True)
                return
            time.sleep(0.1)
    sys.exit(daemon.run(s, poll, SystemClock()))
""")


def test_sigterm_exits_cleanly_within_25_seconds(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path / "hb"), "0", "work"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.5)  # inside the first poll
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert time.monotonic() - started < 25
    assert "checkpointed" in out and "stopped" in err


def test_watchdog_exits_non_zero_when_polling_stalls(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path / "hb"), "3", "hang"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == daemon.STALL_EXIT
    assert "watchdog: no poll finished" in err


