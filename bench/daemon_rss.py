"""The daemon's idle memory: `bot run` polls a local feed every second; VmRSS after the 10th poll."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from email.utils import formatdate
from pathlib import Path
from typing import Any

from benchlib import BENCH, FAKE_X, Figure, child_env, empty_config, feed_bodies, kb_field, read_status

POLLS = 10
START_TIMEOUT = 45.0  # seconds for the 10 polls (1 s apart) to be seen
STOP_TIMEOUT = 25.0  # Heroku's SIGKILL comes 30 s after SIGTERM; the daemon aims to stop in 20
_POLLS = re.compile(r"heartbeat: polled \S+ \((ok|failed)\); (\d+) polls? so far")


def _x_server(stack: ExitStack) -> tuple[str, str]:
    """A local X API (tests/twins/xserver.py) so that nothing could ever reach api.x.com; a dead port if it cannot start."""
    try:
        from twins.xserver import XServer

        server = stack.enter_context(XServer())
        return server.url, "tests/twins/xserver.py"
    except Exception as exc:  # noqa: BLE001 - oauthlib missing: posting is not expected anyway
        return "http://127.0.0.1:9", f"no local X API ({type(exc).__name__}); X_API_BASE_URL points at a closed port"


def idle_rss(tmp: Path, target_mb: float) -> Figure:
    from twins.feedserver import FeedServer

    name, body = max(feed_bodies()[0], key=lambda nb: len(nb[1]))  # the largest feed: the first parse is the peak
    work = tmp / "daemon"
    work.mkdir(exist_ok=True)
    with ExitStack() as stack:
        feeds = stack.enter_context(FeedServer())
        feeds.route("/feed", body, etag='"bench-idle-1"', last_modified=formatdate(1_767_225_600, usegmt=True))
        x_url, x_note = _x_server(stack)
        env = child_env(BOT_CONFIG=empty_config(tmp), BOT_FEED_URL=feeds.url("/feed"), BOT_DAEMON_INTERVAL=1,
                        BOT_DAEMON_JITTER=0, BOT_DAEMON_STALL_AFTER=120, BOT_DAEMON_BACKLOG="skip",
                        BOT_DAEMON_HEARTBEAT_FILE=work / "bot.heartbeat", BOT_STORE_SQLITE_PATH=work / "bot.db",
                        BOT_OUTPUT_DIR=work / "out", BOT_LOG_FORMAT="text", BOT_LOG_LEVEL="INFO",
                        BOT_WRITER_BACKEND="extractive", BOT_IMAGE_CHAIN="card", X_API_BASE_URL=x_url, **FAKE_X)
        cmd = [sys.executable, str(BENCH / "daemon_child.py")]
        # cwd is a temp folder: no .env and no config/bot.toml of the user's are read.
        proc = subprocess.Popen(cmd, cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        stack.callback(_reap, proc)
        lines: list[str] = []
        seen = {"polls": 0, "failed": 0}
        samples: dict[int, dict[str, str]] = {}
        tenth = threading.Event()

        def read() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                lines.append(line.rstrip("\n"))
                match = _POLLS.search(line)
                if not match:
                    continue
                seen["polls"] = int(match.group(2))
                seen["failed"] += match.group(1) == "failed"
                if seen["polls"] in (1, POLLS):
                    try:
                        samples[seen["polls"]] = read_status(proc.pid)
                    except OSError:
                        pass
                if seen["polls"] >= POLLS:
                    tenth.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        started = time.monotonic()
        while not tenth.wait(0.2):
            if proc.poll() is not None or time.monotonic() - started > START_TIMEOUT:
                break
        if not tenth.is_set():
            tail = " | ".join(lines[-4:])
            raise RuntimeError(f"`bot run` reached {seen['polls']} polls (exit code {proc.poll()}): {tail[:400]}")
        elapsed = time.monotonic() - started
        time.sleep(0.3)  # between polls: the 10th is done, the 11th is ~0.7 s away
        idle = read_status(proc.pid)
        heartbeat = (work / "bot.heartbeat").is_file()
        stop_start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            code = None
        stop_s = round(time.monotonic() - stop_start, 2)
        reader.join(2)
        feed_hits = feeds.hits("/feed")
    rss = kb_field(idle, "VmRSS")
    fig = Figure("daemon_idle_rss_mb", f"`bot run` idle RSS after {POLLS} polls (1 s interval)", rss, "MB", target_mb)
    after_first = kb_field(samples.get(1, {}), "VmRSS")
    fig.details = {
        "command": f"python bench/daemon_child.py (bot run with daemon.interval = 1 s); X API: {x_note}",
        "feed": f"{name} ({len(body) // 1024} KB), ETag + Last-Modified, backlog = skip",
        "polls_seen": seen["polls"], "polls_failed": seen["failed"], "feed_requests": feed_hits,
        "seconds_to_10_polls": round(elapsed, 1), "heartbeat_file_written": heartbeat,
        "rss_after_poll_1_mb": after_first, "rss_after_poll_10_mb": kb_field(samples.get(POLLS, {}), "VmRSS"),
        "rss_idle_mb": rss, "peak_rss_mb (VmHWM)": kb_field(idle, "VmHWM"), "threads": idle.get("Threads"),
        "sigterm_exit_code": code, "sigterm_stop_seconds": stop_s,
        "log_tail": lines[-3:],
    }
    fig.notes.append(f"RSS after poll 1: {after_first} MB, peak {kb_field(idle, 'VmHWM')} MB; "
                     f"{seen['failed']} failed polls; SIGTERM -> exit {code} in {stop_s} s")
    return fig


def _reap(proc: subprocess.Popen[Any]) -> None:
    """Make sure the daemon is gone, whatever happened: SIGTERM, then SIGKILL."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
