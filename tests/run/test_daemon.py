"""The daemon: one cycle, the schedule, a clean exit on SIGTERM, the heartbeat, the watchdog, failures survived."""

from __future__ import annotations

import inspect
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.core import settings as config
from bot.core.clock import FakeClock, SystemClock
from bot.run import daemon

A, B = "https://a.example/feed", "https://b.example/feed"


def settings(tmp_path: Path, **env: str) -> config.Settings:
    base = {"BOT_FEED_URL": f"{A},{B}", "BOT_DAEMON_HEARTBEAT_FILE": str(tmp_path / "hb")}
    return config.load({**base, **env}, dotenv=None)


def fast_settings(feeds: list[str], interval: float, heartbeat_file: str, stall_after: float) -> config.Settings:
    """Settings with a sub-second interval, below what the settings file allows, to watch the schedule at work; no
    request timeouts, so a poll is busy no longer than the stall limit. (Also run in CHILD, hence the imports.)"""
    from types import MappingProxyType

    from bot.core import settings as config

    s = config.load({}, dotenv=None)
    values = {**s.values, "feed.urls": list(feeds), "daemon.interval": interval, "daemon.jitter": 0,
              "daemon.misfire_grace": 5, "daemon.heartbeat_file": heartbeat_file, "daemon.stall_after": stall_after,
              "writer.timeout": 0, "image.timeout": 0, "x.timeout": 0, "feed.timeout": 0}
    return config.Settings(MappingProxyType(values), s.sources)


def fast(tmp_path: Path, feeds: list[str], interval: float = 0.2, stall_after: float = 60) -> config.Settings:
    return fast_settings(feeds, interval, str(tmp_path / "hb"), stall_after)


def run_in_thread(s: config.Settings, poll: daemon.Poll, stop: threading.Event) -> tuple[threading.Thread, list[int]]:
    codes: list[int] = []
    thread = threading.Thread(target=lambda: codes.append(daemon.run(s, poll, SystemClock(), stop_event=stop)))
    thread.start()
    return thread, codes


def wait_for(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_once_polls_every_feed_and_writes_the_heartbeat(tmp_path: Path) -> None:
    seen: list[str] = []
    code = daemon.run(settings(tmp_path), lambda url, stop: seen.append(url), SystemClock(), once=True)
    assert code == 0 and seen == [A, B]
    assert (tmp_path / "hb").read_text().startswith("20")


def test_once_with_a_failing_feed_polls_the_others_and_exits_1(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []

    def poll(url: str, stop: object) -> None:
        seen.append(url)
        if url == A:
            raise RuntimeError("boom\nsecond line")

    assert daemon.run(settings(tmp_path), poll, SystemClock(), once=True) == 1
    assert seen == [A, B]
    assert f"poll of {A} failed: boom" in caplog.text and "second line" not in caplog.text


def test_once_stops_between_feeds_when_asked(tmp_path: Path) -> None:
    stop = threading.Event()
    seen: list[str] = []

    def poll(url: str, should_stop: Callable[[], bool]) -> None:
        seen.append(url)
        stop.set()
        assert should_stop()

    assert daemon.run(settings(tmp_path), poll, SystemClock(), once=True, stop_event=stop) == 0
    assert seen == [A]


def test_no_feeds_is_one_clear_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    code = daemon.run(settings(tmp_path, BOT_FEED_URL=""), lambda u, s: None, SystemClock(), once=True)
    assert code == 1 and "set BOT_FEED_URL" in caplog.text


def test_the_schedule_polls_every_feed_repeatedly_and_stops_on_request(tmp_path: Path) -> None:
    counts: dict[str, int] = {}
    stop = threading.Event()

    def poll(url: str, should_stop: Callable[[], bool]) -> None:
        counts[url] = counts.get(url, 0) + 1
        if url == A:
            raise RuntimeError("A is down")  # failures must not end the schedule

    thread, codes = run_in_thread(fast(tmp_path, [A, B]), poll, stop)
    wait_for(lambda: min(counts.get(A, 0), counts.get(B, 0)) >= 4)
    stop.set()
    thread.join(25)
    assert not thread.is_alive() and codes == [0]
    settled = dict(counts)
    time.sleep(0.5)
    assert counts == settled  # nothing polls after the stop


def test_a_poll_sees_the_stop_and_checkpoints(tmp_path: Path) -> None:
    stop = threading.Event()
    started, checkpointed = threading.Event(), threading.Event()

    def poll(url: str, should_stop: Callable[[], bool]) -> None:
        started.set()
        for _ in range(500):
            if should_stop():
                checkpointed.set()
                return
            time.sleep(0.01)

    thread, codes = run_in_thread(fast(tmp_path, [A], interval=30), poll, stop)
    assert started.wait(10)
    stop.set()
    thread.join(25)
    assert checkpointed.is_set() and codes == [0]


CHILD = textwrap.dedent("""
    import sys, time, logging
    logging.basicConfig(level=logging.INFO)
    from bot.run import daemon
    from bot.core.clock import SystemClock
    hb, stall, mode, grace, feeds = sys.argv[1], float(sys.argv[2]), sys.argv[3], float(sys.argv[4]), sys.argv[5:]
    s = fast_settings(feeds, 0.3 if mode == "one-hangs" else 30, hb, stall)
    def poll(url, should_stop):
        print("polling", url, flush=True)
        if mode == "hang" or (mode == "one-hangs" and url.startswith("hang")):
            time.sleep(120)             # ignores should_stop
        if mode == "work":
            for _ in range(200):        # a thread being published, checking between tweets
                if should_stop():
                    print("checkpointed", flush=True)
                    return
                time.sleep(0.05)
        print("polled", url, flush=True)
    sys.exit(daemon.run(s, poll, SystemClock(), grace=grace))
""")


def child(tmp_path: Path, stall: float, mode: str, grace: float = daemon.STOP_GRACE,
          feeds: tuple[str, ...] = (A,)) -> subprocess.Popen[str]:
    child = "from __future__ import annotations\n" + inspect.getsource(fast_settings) + CHILD
    return subprocess.Popen([sys.executable, "-c", child, str(tmp_path / "hb"), str(stall), mode, str(grace), *feeds],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_daemon_cleanly_within_25_seconds(tmp_path: Path, sig: signal.Signals) -> None:
    proc = child(tmp_path, 0, "work")
    assert proc.stdout is not None and proc.stdout.readline().startswith("polling")  # inside the first poll
    started = time.monotonic()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert time.monotonic() - started < 25
    assert "checkpointed" in out and f"{sig.name} received" in err and "stopped" in err
    assert (tmp_path / "hb").is_file()  # the checkpointed poll still counts as a heartbeat


def test_a_poll_that_ignores_the_stop_is_cut_off_after_the_grace(tmp_path: Path) -> None:
    proc = child(tmp_path, 0, "hang", grace=2)
    assert proc.stdout is not None and proc.stdout.readline().startswith("polling")
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == daemon.STOP_TIMEOUT_EXIT
    assert time.monotonic() - started < 10 and "did not finish in 2 s" in err


def test_watchdog_exits_non_zero_when_polling_stalls(tmp_path: Path) -> None:
    proc = child(tmp_path, 2, "hang")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == daemon.STALL_EXIT
    assert f"watchdog: no poll of {A} finished" in err


def test_watchdog_catches_one_hung_feed_while_others_poll(tmp_path: Path) -> None:
    proc = child(tmp_path, 2, "one-hangs", feeds=("hang://feed", B))
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == daemon.STALL_EXIT, err
    assert out.count(f"polled {B}") >= 2 and "watchdog: no poll of hang://feed finished" in err


def test_heartbeat_file_and_healthcheck(tmp_path: Path) -> None:
    s = settings(tmp_path, BOT_DAEMON_INTERVAL="60", BOT_DAEMON_JITTER="0")  # stall limit 180 s
    clock = FakeClock()
    assert daemon.healthcheck(s, clock.time())[0] is False  # no poll yet
    daemon.Heartbeat(str(tmp_path / "hb"), clock, [A]).beat(A, True)
    assert (tmp_path / "hb").read_text().strip() == clock.now().isoformat()
    now = time.time()
    assert daemon.healthcheck(s, now) == (True, "last poll finished 0 s ago")
    os.utime(tmp_path / "hb", (now - 200, now - 200))
    healthy, line = daemon.healthcheck(s, now)
    assert not healthy and "more than 180 s" in line


def test_healthcheck_command(tmp_path: Path) -> None:
    env = {**os.environ, "BOT_DAEMON_HEARTBEAT_FILE": str(tmp_path / "hb")}
    missing = subprocess.run([sys.executable, "-m", "bot.run.daemon"], env=env, capture_output=True, text=True, timeout=30)
    (tmp_path / "hb").write_text("now\n")
    fresh = subprocess.run([sys.executable, "-m", "bot.run.daemon"], env=env, capture_output=True, text=True, timeout=30)
    assert (missing.returncode, fresh.returncode) == (1, 0)
    assert "no heartbeat file" in missing.stdout


@pytest.mark.parametrize("stall_after,interval,jitter,expected", [(0, 900, 60, 2760), (0, 30, 0, 90), (120, 900, 60, 120)])
def test_stall_limit(stall_after: int, interval: int, jitter: int, expected: float) -> None:
    d = SimpleNamespace(stall_after=stall_after, interval=interval, jitter=jitter)
    assert daemon.stall_limit(d) == expected


def test_watchdog_table_uses_the_oldest_feed() -> None:
    clock = FakeClock()
    beat = daemon.Heartbeat("", clock, [A, B])
    clock.t += 50
    beat.beat(A, True)
    clock.t += 60
    assert beat.stalled(100) == (B, 110)
    assert beat.stalled(120) is None


def test_describe_names_the_schedule_and_policy(tmp_path: Path) -> None:
    line = daemon.describe(settings(tmp_path, BOT_DAEMON_WINDOW="08:00-22:00", BOT_DAEMON_DAILY_CAP="3"))
    assert line.startswith("2 feed(s) every 900 s (+ up to 60 s jitter); first poll: skip the backlog")
    assert "posting window: 08:00-22:00 UTC" in line and "daily cap: 3" in line and "watchdog after 2760 s" in line


def test_a_running_poll_is_judged_by_its_progress_an_idle_feed_by_its_last_poll() -> None:
    clock = FakeClock()
    beat = daemon.Heartbeat("", clock, [A])
    beat.start(A)
    clock.t += 100  # one slow step: past the stall limit (90), inside the busy limit (120)
    assert beat.stalled(90, 120) is None
    beat.progress(A)  # a retry logged, a shutdown probe asked
    clock.t += 110
    assert beat.stalled(90, 120) is None
    clock.t += 20  # 130 s with no progress at all: hung
    assert beat.stalled(90, 120) == (A, 130)
    beat.beat(A, True)
    clock.t += 91
    assert beat.stalled(90, 120) == (A, 91)  # idle and overdue: the schedule itself stalled


def test_the_busy_limit_outlasts_any_single_bounded_step(tmp_path: Path) -> None:
    s = settings(tmp_path, BOT_DAEMON_INTERVAL="30", BOT_DAEMON_JITTER="0")
    assert daemon.stall_limit(s.daemon) == 90
    longest = max(s.writer.timeout, s.image.timeout, s.x.timeout, s.feed.timeout)
    assert daemon.busy_limit(s) >= 2 * longest > 100  # a model answering after 100 s is busy, not stalled
