"""The always-on loop: APScheduler polls each feed; SIGTERM stops it cleanly; a watchdog exits when polling stalls.

Design (why not BlockingScheduler): APScheduler 3.x's BackgroundScheduler runs the polls in its thread pool
while the main thread waits on one Event. Signal handlers then only set that Event (nothing unsafe runs
inside a handler), the same main-thread loop is the watchdog, and shutdown can be bounded by a deadline,
which a BlockingScheduler parked in its own loop cannot give. Job stores are in memory and never shared:
safety between processes comes from the database's claims, not the scheduler (the design notes).

The poll callback is `poll(feed_url, should_stop)`. `should_stop()` turns True once SIGTERM, SIGINT, SIGHUP or the
caller's stop_event arrives; a poll checks it between entries (and, through its publisher, between tweets)
and returns early, leaving its progress in the store's ledger. Heroku sends SIGKILL 30 s after SIGTERM
(the design notes), so a poll gets STOP_GRACE seconds; one that ignores the probe is cut off with os._exit, and
its entry's claim lease lets the next start resume it.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TypeAlias

from bot.core.clock import Clock
from bot.core.errors import BotError
from bot.core.options import DaemonSettings
from bot.core.settings import Settings
from bot.networks import registry

log = logging.getLogger(__name__)
Poll = Callable[[str, Callable[[], bool]], None]
STOP_GRACE = 20.0  # seconds a running poll may take after SIGTERM: exit well inside Heroku's 30 s
STALL_EXIT = 3  # exit code when the watchdog finds polling stalled
STOP_TIMEOUT_EXIT = 4  # exit code when a poll did not finish within STOP_GRACE after SIGTERM
SignalHandler: TypeAlias = Callable[[int, FrameType | None], object] | int | None  # what signal.signal takes and gives


def stall_limit(daemon_settings: DaemonSettings) -> float:
    """Seconds without a finished poll after which the bot counts as stalled (daemon.stall_after, 0: 3 intervals + jitter)."""
    d = daemon_settings
    return float(d.stall_after or 3 * d.interval + d.jitter)


def describe(settings: Settings) -> str:
    """One line on the schedule and posting policy, for `bot check`."""
    d, feeds = settings.daemon, list(settings.feed.urls)
    parts = [f"{len(feeds)} feed(s) every {d.interval} s (+ up to {d.jitter} s jitter)",
             f"first poll: {'skip the backlog' if d.backlog == 'skip' else f'post the newest {d.backlog_count}'}",
             f"posting window: {d.window + ' UTC' if d.window else 'any time'}",
             f"daily cap: {d.daily_cap or 'none'}",
             f"retries: {d.max_attempts} attempts from {d.retry_backoff} s",
             f"watchdog after {stall_limit(d):.0f} s"]
    return "; ".join(parts)


def busy_limit(settings: Settings) -> float:
    """Seconds a running poll may go without progress before it counts as hung: the stall limit, or longer when a
    single bounded step (a model, image, X or feed request, with its settle wait) can take longer than that."""
    limit = stall_limit(settings.daemon)
    timeouts = [settings.writer.timeout, settings.image.timeout, settings.feed.timeout,
                *(registry.get(n).timeout(settings) for n in settings.networks)]
    longest = max(timeouts)
    return max(limit, 2 * longest + 30) if longest else limit


class Heartbeat:
    """Each feed's last finished poll, in memory for the watchdog and in a file for healthchecks.

    A poll that is running reports progress (`progress`: each shutdown probe it makes, each line it logs); the
    watchdog judges a running poll by its last progress against the busy limit, and an idle feed by its last
    finished poll against the stall limit. Busy is not stalled: a slow model whose retries and offline fallback
    are still to come is left to finish.
    """

    def __init__(self, path: str, clock: Clock, feeds: list[str]) -> None:
        self.path = Path(path) if path else None
        self.clock = clock
        start = clock.time()
        self.last = {feed: start for feed in feeds}  # a feed not polled yet counts from the start
        self.polls = 0
        self.fatal = ""  # set by a poll whose error means the daemon must stop (exit 1)
        self.busy: dict[str, float] = {}  # feed: last progress of its running poll
        self.lock = threading.Lock()

    def start(self, feed: str) -> None:
        """Note that a poll of `feed` has begun."""
        with self.lock:
            self.busy[feed] = self.clock.time()

    def progress(self, feed: str) -> None:
        """Note that the running poll of `feed` is still at work."""
        with self.lock:
            if feed in self.busy:
                self.busy[feed] = self.clock.time()

    def beat(self, feed: str, ok: bool) -> None:
        """Note a finished poll of one feed: memory, the heartbeat file, one log line."""
        with self.lock:
            self.last[feed] = self.clock.time()
            self.busy.pop(feed, None)
            self.polls += 1
            polls = self.polls
        if self.path is not None:
            try:
                # Write then rename, so a healthcheck never reads a half-written file.
                tmp = self.path.with_name(self.path.name + ".tmp")
                tmp.write_text(self.clock.now().isoformat() + "\n", encoding="utf-8")
                os.replace(tmp, self.path)
            except OSError as exc:
                log.warning("cannot write the heartbeat file %s: %s", self.path, exc.strerror or exc)
        log.info("heartbeat: polled %s (%s); %d polls so far", feed, "ok" if ok else "failed", polls)

    def stalled(self, limit: float, busy: float | None = None) -> tuple[str, float] | None:
        """The feed most overdue, and for how long, when one is: a running poll without progress for more than
        `busy` seconds (default `limit`), or an idle feed whose last poll finished more than `limit` seconds ago."""
        now = self.clock.time()
        busy = limit if busy is None else busy
        with self.lock:
            ages = [(now - self.busy[f], busy, f) if f in self.busy else (now - last, limit, f)
                    for f, last in self.last.items()]
        age, allowed, feed = max(ages, key=lambda item: item[0] - item[1])
        return (feed, age) if age > allowed else None


class _Current(threading.local):
    """The feed the running thread polls (None in a thread that polls nothing)."""

    feed: str | None = None


class _Progress(logging.Handler):
    """Every line a poll logs (a retry, a status) is progress of that poll: its thread says which feed it is."""

    current = _Current()

    def __init__(self, heartbeat: Heartbeat) -> None:
        super().__init__(logging.DEBUG)
        self.heartbeat = heartbeat

    def emit(self, record: logging.LogRecord) -> None:
        feed = self.current.feed
        if feed:
            self.heartbeat.progress(feed)


def poll_safely(poll: Poll, feed: str, should_stop: Callable[[], bool], heartbeat: Heartbeat) -> bool:
    """Run one poll; any exception is logged on one line and the daemon carries on. True when it succeeded."""
    ok = True

    def probe() -> bool:  # the poll asks between entries, between tweets and every second of a wait: progress
        heartbeat.progress(feed)
        return should_stop()

    heartbeat.start(feed)
    _Progress.current.feed = feed
    try:
        poll(feed, probe)
    except Exception as exc:  # one feed's trouble never stops the daemon, unless the error says it must
        ok = False
        line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if isinstance(exc, BotError) and exc.fatal:  # the SQLite file was deleted: polling on would lose what it posts
            with heartbeat.lock:
                first, heartbeat.fatal = not heartbeat.fatal, heartbeat.fatal or line
            if first:
                log.error("%s", line)
            return False
        log.error("poll of %s failed: %s", feed, line)
    finally:
        _Progress.current.feed = None
    heartbeat.beat(feed, ok)
    return ok


def run(settings: Settings, poll: Poll, clock: Clock, *, once: bool = False, stop_event: threading.Event | None = None,
        feeds: list[str] | None = None, grace: float = STOP_GRACE) -> int:
    """Poll every feed once (`once`) or on a schedule until SIGTERM/SIGINT or `stop_event`; return the exit code.

    Exit codes: 0 clean, 1 a poll failed (`once`) or no feed is configured; the process itself ends with
    STALL_EXIT when polling stalls, or STOP_TIMEOUT_EXIT when a poll outlives `grace` after a stop.
    """
    feeds = feeds if feeds is not None else list(settings.feed.urls)
    if not feeds:
        log.error("no feed configured: set BOT_FEED_URL (comma-separated) or feed.urls in config/bot.toml")
        return 1
    d = settings.daemon
    stop = stop_event or threading.Event()
    heartbeat = Heartbeat(d.heartbeat_file, clock, feeds)
    previous = _install_signals(stop)
    try:
        if once:
            return _once(poll, feeds, stop, heartbeat)
        return _scheduled(settings, poll, feeds, stop, heartbeat, grace)
    finally:
        _restore_signals(previous)


ONCE_IN_TURN = 8  # up to this many feeds, `--once` polls them one after another; more, 8 at a time (as the daemon)


def _once(poll: Poll, feeds: list[str], stop: threading.Event, heartbeat: Heartbeat) -> int:
    if len(feeds) > ONCE_IN_TURN:  # many publications: a cycle waits on feeds and the database, not on the CPU
        from concurrent.futures import ThreadPoolExecutor

        def one(feed: str) -> bool:
            if stop.is_set() or heartbeat.fatal:
                return True
            return poll_safely(poll, feed, stop.is_set, heartbeat)

        with ThreadPoolExecutor(ONCE_IN_TURN) as pool:
            return 0 if all(list(pool.map(one, feeds))) else 1
    ok = True
    for feed in feeds:
        if stop.is_set():
            log.info("stop requested: %s not polled", feed)
            continue
        ok = poll_safely(poll, feed, stop.is_set, heartbeat) and ok
        if heartbeat.fatal:
            break
    return 0 if ok else 1


def _scheduled(settings: Settings, poll: Poll, feeds: list[str], stop: threading.Event, heartbeat: Heartbeat,
               grace: float) -> int:
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    d = settings.daemon
    # One worker per feed (at most 8): max_instances=1 means a feed never needs two.
    scheduler = BackgroundScheduler(timezone=UTC,
                                    executors={"default": ThreadPoolExecutor(max(1, min(len(feeds), 8)))})
    start = datetime.now(UTC)
    stagger = min(1.0, d.interval / (2 * len(feeds)))
    for index, feed in enumerate(feeds):
        # First run at once (feeds staggered by up to a second), then every interval (+ random jitter).
        scheduler.add_job(poll_safely, "interval", args=(poll, feed, stop.is_set, heartbeat), id=f"feed-{index}",
                          name=feed, seconds=d.interval, jitter=d.jitter or None, max_instances=1, coalesce=True,
                          misfire_grace_time=d.misfire_grace, next_run_time=start + timedelta(seconds=index * stagger))
    limit, busy = stall_limit(d), busy_limit(settings)
    tick = max(0.05, min(1.0, limit / 4))
    progress = _Progress(heartbeat)
    logging.getLogger().addHandler(progress)
    died: list[str] = []
    previous_hook = threading.excepthook

    def on_death(args: threading.ExceptHookArgs) -> None:  # the scheduler's thread raised: one line, not a traceback
        if args.thread is getattr(scheduler, "_thread", None):
            died.append(f"{args.exc_type.__name__}: {args.exc_value}")
        else:
            previous_hook(args)

    threading.excepthook = on_death
    scheduler.start()
    # APScheduler 3 runs its loop in BackgroundScheduler._thread; an exception there ends the thread and the process
    # stays up polling nothing, so the watchdog below watches that thread too.
    loop = getattr(scheduler, "_thread", None)
    log.info("running: %d feed(s), every %ss (+ up to %ss jitter); SIGTERM or Ctrl-C stops", len(feeds),
             d.interval, d.jitter)
    try:
        while not stop.wait(tick):
            if heartbeat.fatal:
                break
            if loop is not None and not loop.is_alive():
                line = f"the scheduler stopped ({died[0] if died else 'its thread ended'}): no feed would be polled again"
                log.error("%s; exiting so the platform restarts the bot", line)
                heartbeat.fatal = line
                break
            stalled = heartbeat.stalled(limit, busy)
            if stalled:
                log.error("watchdog: no poll of %s finished, and no progress in it, for %.0f s; exiting so the "
                          "platform restarts the bot", stalled[0], stalled[1])
                _hard_exit(STALL_EXIT)  # a hung poll thread cannot be stopped any other way
    finally:
        threading.excepthook = previous_hook
        log.info("stopping: waiting up to %.0f s for the current poll", grace)
        stopper = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True)
        stopper.start()
        stopper.join(grace)
        if stopper.is_alive():
            log.warning("a poll did not finish in %.0f s; exiting anyway: its entry's claim expires and the next "
                        "start resumes it", grace)
            _hard_exit(STOP_TIMEOUT_EXIT)  # the pool's threads would otherwise hold the interpreter open
        logging.getLogger().removeHandler(progress)
        log.info("stopped")
    return 1 if heartbeat.fatal else 0


def _hard_exit(code: int) -> None:
    """Flush the logs and end the process at once, whatever threads are still running."""
    for handler in logging.getLogger().handlers:
        try:
            handler.flush()
        except Exception:
            pass
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _install_signals(stop: threading.Event) -> dict[int, SignalHandler]:
    if threading.current_thread() is not threading.main_thread():
        return {}  # signal handlers can only be set from the main thread: the caller's stop_event rules

    def handler(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            log.warning("second %s: exiting now", signal.Signals(signum).name)
            _hard_exit(128 + signum)
        log.info("%s received: finishing the current step, then stopping before the next post", signal.Signals(signum).name)
        stop.set()

    # SIGHUP (a closed terminal, some supervisors' stop) stops as gently as SIGTERM
    return {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}


def _restore_signals(previous: dict[int, SignalHandler]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def heartbeat_age(path: str | Path, now: float) -> float | None:
    """Seconds since the heartbeat file was last written, or None when there is none."""
    try:
        return now - Path(path).stat().st_mtime
    except OSError:
        return None


def healthcheck(settings: Settings, now: float) -> tuple[bool, str]:
    """Whether the heartbeat file is fresher than the stall limit, and a line saying so (for Docker's HEALTHCHECK)."""
    path, limit = settings.daemon.heartbeat_file, stall_limit(settings.daemon)
    age = heartbeat_age(path, now)
    if age is None:
        return False, f"no heartbeat file at {path}: no poll has finished yet"
    if age > limit:
        return False, f"last poll finished {age:.0f} s ago, more than {limit:.0f} s"
    return True, f"last poll finished {age:.0f} s ago"


if __name__ == "__main__":  # `python -m bot.run.daemon`: the container healthcheck, exit 0 healthy, 1 not
    import time

    from bot.core.errors import BotError
    from bot.core.settings import load

    try:
        healthy, line = healthcheck(load(), time.time())
    except BotError as exc:
        healthy, line = False, str(exc)
    print(line)
    sys.exit(0 if healthy else 1)
