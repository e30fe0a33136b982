"""The daemon end to end, as subprocesses: a local feed server and a local X API on 127.0.0.1, a real store.

(a) Two `bot run --once` started together on one PostgreSQL database make one thread.
(b) `bot run` posts a new entry, stops cleanly on SIGTERM with nothing lost, and posts nothing again after a restart.
(c) SIGTERM in the middle of a thread stops it between tweets; the restarted daemon finishes it, nothing twice.

`bot run` is started through bot.cli with one change: daemon.interval is 1 s, below the 30 s the settings allow,
so that a test sees several polls in a few seconds. Every wait is a bounded deadline loop; every server and
process is stopped in `finally` blocks or fixtures.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dbs import fresh_postgres
from helpers import on_x
from helpers.daemon import EXIT_WITHIN, FAST_RUN, Proc, bot_env, wait_for  # noqa: F401
from test_poller import HOST, OLD, feeds, item, rss  # noqa: F401  (feeds: the same fixture)
from twins.feedserver import FeedServer
from twins.xserver import CREDENTIALS, XServer

pytestmark = pytest.mark.slow


def assert_no_secrets(*texts: str) -> None:
    for value in CREDENTIALS.values():
        assert all(value not in text for text in texts), "a credential reached the output"


def assert_one_thread(x: XServer, slug: str) -> None:
    """Three posts, each text once, chained by replies, the image on the first, ending with the entry's link."""
    on_x.assert_one_thread(x, ends_with=f"{HOST}/p/{slug}")


@pytest.fixture
def x() -> Iterator[XServer]:
    with XServer() as server:
        yield server


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    """Every process a test starts; any still running at the end is killed."""
    started: list[Proc] = []
    yield started
    for proc in started:
        proc.kill()


def test_two_once_runs_on_one_postgres_make_one_thread(tmp_path: Path, feeds: FeedServer, x: XServer,
                                                       procs: list[Proc]) -> None:
    database = fresh_postgres()  # skips with its reason when BOT_TEST_DATABASE_URL is unset
    url = next(database)
    try:
        feeds.set_body("/feed", rss(item("fresh-news", 0), *OLD))
        # The first upload answers after 1.5 s, so the winner holds its claim while the other process arrives.
        x.fault("POST /2/media/upload", "slow", delay=1.5)
        for name in ("one", "two"):
            env = bot_env(tmp_path, feeds.url("/feed"), x.url, name, DATABASE_URL=url, BOT_DAEMON_BACKLOG="latest")
            procs.append(Proc(["-m", "bot", "run", "--once"], env, tmp_path, name))
        codes = []
        for proc in procs:
            try:
                codes.append(proc.popen.wait(60))
            except subprocess.TimeoutExpired:
                pytest.fail(f"`bot run --once` did not finish in 60 s:\n{proc.text()[-3000:]}")
        logs = [proc.text() for proc in procs]
        assert codes == [0, 0], "\n".join(logs)  # losing the claim is normal, not a failure
        assert_one_thread(x, "fresh-news")
        assert sum(log.count("posted Fresh News") for log in logs) == 1
        assert all(" ERROR " not in log for log in logs), "\n".join(logs)
        assert_no_secrets(*logs)
    finally:
        next(database, None)  # drops the database


def history(tmp: Path, env: dict[str, str]) -> list[dict]:
    done = subprocess.run([sys.executable, "-m", "bot", "history", "--json"], env=env, cwd=tmp,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert_no_secrets(done.stdout, done.stderr)
    return json.loads(done.stdout)


def test_the_daemon_posts_a_new_entry_stops_cleanly_and_posts_nothing_after_a_restart(
        tmp_path: Path, feeds: FeedServer, x: XServer, procs: list[Proc]) -> None:
    env = bot_env(tmp_path, feeds.url("/feed"), x.url, "daemon")
    first = Proc(["-c", FAST_RUN], env, tmp_path, "first")
    procs.append(first)
    wait_for("the first poll", lambda: first.heartbeats() >= 1, [first])
    assert x.posts == [] and "3 existing entries recorded, not posted" in first.text()
    feeds.set_body("/feed", rss(item("fresh-news", 0), *OLD))
    wait_for("the thread", lambda: "posted Fresh News" in first.text(), [first])
    assert first.stop() == 0, first.text()
    assert "SIGTERM received" in first.text() and "stopped" in first.text()
    assert_one_thread(x, "fresh-news")
    rows = {row["key"]: row for row in history(tmp_path, env)}
    assert rows["/p/fresh-news"]["status"] == "posted"
    assert [t["tweet_id"] for t in rows["/p/fresh-news"]["tweets"]] == [p["id"] for p in x.posts]
    assert {rows[k]["status"] for k in rows if k != "/p/fresh-news"} == {"skipped"}

    second = Proc(["-c", FAST_RUN], env, tmp_path, "second")
    procs.append(second)
    wait_for("three polls after the restart", lambda: second.heartbeats() >= 3, [second])
    assert second.stop() == 0, second.text()
    assert len(x.posts) == 3 and not [line for line in second.err.read_text().splitlines() if "posted" in line]
    assert_no_secrets(first.text(), second.text())


def test_sigterm_between_tweets_leaves_a_partial_thread_that_the_restart_finishes(
        tmp_path: Path, feeds: FeedServer, x: XServer, procs: list[Proc]) -> None:
    env = bot_env(tmp_path, feeds.url("/feed"), x.url, "daemon")
    first = Proc(["-c", FAST_RUN], env, tmp_path, "first")
    procs.append(first)
    wait_for("the first poll", lambda: first.heartbeats() >= 1, [first])
    x.fault("POST /2/tweets", "slow", delay=2)  # post 1 is still in flight when SIGTERM comes
    feeds.set_body("/feed", rss(item("fresh-news", 0), *OLD))
    wait_for("the image upload (publishing has begun)", lambda: len(x.media) >= 1, [first])
    started = time.monotonic()
    assert first.stop() == 0, first.text()
    assert time.monotonic() - started < EXIT_WITHIN
    assert len(x.posts) == 1  # the post in flight was finished; the next one was not sent
    assert "stopped Fresh News after 1 of its posts" in first.text()
    assert history(tmp_path, env)[0]["status"] == "partial"

    second = Proc(["-c", FAST_RUN], env, tmp_path, "second")
    procs.append(second)
    wait_for("the rest of the thread", lambda: "posted Fresh News" in second.text(), [second])
    assert second.stop() == 0, second.text()
    assert_one_thread(x, "fresh-news")
    assert x.hits("POST /2/media/upload") == 1 and x.hits("POST /2/tweets") == 3
    assert_no_secrets(first.text(), second.text())
