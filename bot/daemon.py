"""The always-on loop: APScheduler polls each feed; SIGTERM stops it cleanly; a watchdog exits when polling stalls.

APScheduler 3.x's BackgroundScheduler runs the jobs, while the main thread waits on an Event: signal
handlers then only set that Event, and the same loop checks the watchdog. Job stores are in memory and
never shared: safety between processes comes from the database's claims (DESIGN.md).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from .clock import Clock

log = logging.getLogger("bot.daemon")
Poll = Callable[[str, Callable[[], bool]], None]
STOP_GRACE = 20.0  # seconds a running poll may take after SIGTERM (Heroku sends SIGKILL 30 s after SIGTERM)
STALL_EXIT = 3


class Heartbeat:
    """Records each finished poll, in memory for the watchdog and in a file for the Docker healthcheck."""

    def __init__(self, path: str, clock: Clock) -> None:
        self.path = Path(path) if path else None
        self.clock = clock
        self.last = clock.time()
        self.polls = 0
        self.lock = threading.Lock()

    def beat(self, feed: str, ok: bool) -> None:
        """Note a finished poll of one feed."""
        with self.lock:
            self.last = self.clock.time()
            self.polls += 1
        if self.path is not None:
            try:
                self.path.write_text(self.clock.now().isoformat() + "\n", encoding="utf-8")
            except OSError as exc:
                log.warning("cannot write the heartbeat file %s: %s", self.path, exc.strerror or exc)
        log.info("heartbeat: polled %s (%s); %d polls so far", feed, "ok" if ok else "failed", self.polls)


def _poll_safely(poll: Poll, feed: str, should_stop: Callable[[], bool], heartbeat: Heartbeat) -> bool:
    ok = True
    try:
        poll(feed, should_stop)
    except Exception as exc:  # one feed's trouble never stops the daemon
        ok = False
        log.error("poll of %s failed: %s", feed, exc)
    heartbeat.beat(feed, ok)
    return ok


def run(settings: Any, poll: Poll, clock: Clock, *, once: bool = False, stop_event: threading.Event | None = None,
        feeds: list[str] | None = None) -> int:
    """Poll every feed once (`once`) or on a schedule until SIGTERM/SIGINT or `stop_event`; return the exit code."""
    feeds = feeds if feeds is not None else list(settings.feed.urls)
    if not feeds:
        log.error("no feed configured: set BOT_FEED_URL (comma-separated) or feed.urls in config/bot.toml")
        return 1
    d = settings.daemon
    stop = stop_event or threading.Event()
    heartbeat = Heartbeat(d.heartbeat_file, clock)
    if once:
        results = [_poll_safely(poll, feed, stop.is_set, heartbeat) for feed in feeds]
        return 0 if all(results) else 1
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone=timezone.utc)
    start = datetime.now(timezone.utc)
    for index, feed in enumerate(feeds):
        scheduler.add_job(_poll_safely, "interval", args=(poll, feed, stop.is_set, heartbeat), id=f"feed-{index}",
                          name=feed, seconds=d.interval, jitter=d.jitter or None, max_instances=1, coalesce=True,
                          misfire_grace_time=d.misfire_grace, next_run_time=start + timedelta(seconds=index))
    previous = _install_signals(stop)
    stall_after = d.stall_after or 3 * d.interval + d.jitter
    scheduler.start()
    log.info("running: %d feed(s), every %ds; SIGTERM or Ctrl-C stops", len(feeds), d.interval)
    code = 0
    try:
        while not stop.wait(1.0):
            if clock.time() - heartbeat.last > stall_after:
                log.error("watchdog: no poll finished for %.0f s; exiting so the platform restarts the bot", stall_after)
                os._exit(STALL_EXIT)  # a hung poll thread cannot be stopped any other way
    finally:
        _restore_signals(previous)
        log.info("stopping: waiting up to %.0f s for the current poll", STOP_GRACE)
        stopper = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True)
        stopper.start()
        stopper.join(STOP_GRACE)
        if stopper.is_alive():
            log.warning("a poll did not finish in time; its entry's claim expires and it resumes on the next start")
            code = 1
        log.info("stopped")
    return code


def _install_signals(stop: threading.Event) -> dict[int, Any]:
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {}
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous[sig] = signal.signal(sig, lambda signum, frame: stop.set())
    return previous


def _restore_signals(previous: dict[int, Any]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)
