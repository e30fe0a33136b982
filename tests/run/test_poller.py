"""One poll at a time, for real: a feed server and an X API on 127.0.0.1, the store on SQLite, the offline writer.

Covers the first-run policy, new entries, the 304 path, the posting window and daily cap, retries with backoff
until they are reported, waiting for X's post budget and rate limit (no attempt used), a thread stopped
between tweets and finished by the next poll, and a claim held by another process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import on_x
from helpers.quiet_index import DAY, HOST, OLD, START, item, rss  # noqa: F401
from twins.feedserver import FeedServer
from twins.xserver import CREDENTIALS, XServer

from bot.core import settings as config
from bot.core.clock import FakeClock
from bot.run import wiring as app
from bot.run.poller import EntriesFailed, poll_feed
from bot.state.drafts import DraftStore
from bot.state.store import Store
from bot.writing.offline import ExtractiveWriter


class Bot:
    """The wiring `bot run` uses (app.build, poll_feed), on a fake clock; `poll()` runs one poll."""

    def __init__(self, tmp: Path, feeds: FeedServer, x: XServer, clock: FakeClock, **env: str) -> None:
        base = {**CREDENTIALS, "X_API_BASE_URL": x.url, "BOT_IMAGE_CHAIN": "card", "BOT_WRITER_BACKEND": "extractive",
                "BOT_STORE_SQLITE_PATH": str(tmp / "bot.db"), "BOT_FEED_URL": feeds.url("/feed")}
        self.settings = config.load({**base, **env}, dotenv=None)
        self.store = Store.open(None, self.settings)
        self.clock, self.url, self.out = clock, feeds.url("/feed"), tmp / "out"

    def poll(self, should_stop: Callable[[], bool] = lambda: False) -> int:
        deps = app.build(self.settings, dry_run=False, clock=self.clock, store=self.store, should_stop=should_stop)
        return poll_feed(self.url, deps, should_stop, self.out)

    def row(self, slug: str) -> dict[str, Any]:
        row = self.store.entry(self.url, f"/p/{slug}")
        assert row is not None
        return row

    def statuses(self) -> dict[str, str]:
        return {r["key"]: r["status"] for r in self.store.history()}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.route("/feed", rss(*OLD), etag='"v0"')
        yield server


@pytest.fixture
def make(tmp_path: Path, feeds: FeedServer, x: XServer, clock: FakeClock) -> Iterator[Callable[..., Bot]]:
    bots: list[Bot] = []

    def build(**env: str) -> Bot:
        bots.append(Bot(tmp_path, feeds, x, clock, **env))
        return bots[-1]

    yield build
    for bot in bots:
        bot.store.close()


def assert_chained(x: XServer, per_thread: int = 3) -> None:
    """Every thread is one first post with its image and replies to the post before; no text twice."""
    on_x.assert_threads(x, per_thread)


def test_first_poll_skips_the_backlog_then_a_new_entry_is_posted(make: Callable[..., Bot], feeds: FeedServer,
                                                                 x: XServer) -> None:
    bot = make()
    assert bot.poll() == 0
    assert x.posts == [] and set(bot.statuses().values()) == {"skipped"} and len(bot.statuses()) == 3
    feeds.set_body("/feed", rss(item("fresh-news", 0), *OLD))
    assert bot.poll() == 1
    assert_chained(x)
    assert x.posts[-1]["text"].endswith(f"{HOST}/p/fresh-news")
    history = {r["key"]: r for r in bot.store.history()}
    assert history["/p/fresh-news"]["status"] == "posted"
    assert [t["tweet_id"] for t in history["/p/fresh-news"]["tweets"]] == [p["id"] for p in x.posts]
    assert bot.poll() == 0 and len(x.posts) == 3  # nothing twice


def test_backlog_latest_posts_the_newest_n(make: Callable[..., Bot], x: XServer) -> None:
    bot = make(BOT_DAEMON_BACKLOG="latest", BOT_DAEMON_BACKLOG_COUNT="2")
    assert bot.poll() == 2
    assert bot.statuses() == {"/p/third-way": "posted", "/p/second-thoughts": "posted", "/p/first-steps": "skipped"}
    assert_chained(x)
    assert [p["text"].split()[-1] for p in x.posts[2::3]] == [f"{HOST}/p/second-thoughts", f"{HOST}/p/third-way"]


def test_a_304_posts_nothing_and_receives_no_body(make: Callable[..., Bot], feeds: FeedServer, x: XServer) -> None:
    bot = make()
    bot.poll()
    feeds.reset_counts()
    assert bot.poll() == 0
    assert feeds.hits("/feed") == 1 and feeds.bytes_sent == 0 and x.posts == []
    assert feeds.requests[0].headers.get("if-none-match") == '"v0"'


def test_the_posting_window_defers_new_entries_until_it_opens(make: Callable[..., Bot], feeds: FeedServer, x: XServer,
                                                               clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    bot = make(BOT_DAEMON_WINDOW="12:00-14:00")  # START is 08:00 UTC
    bot.poll()
    feeds.set_body("/feed", rss(item("fresh-news", 0), *OLD))
    assert bot.poll() == 0 and x.posts == [] and bot.row("fresh-news")["status"] == "new"
    assert "outside the posting window 12:00-14:00 UTC: entries wait" in caplog.text
    clock.t += 4 * 3600 + 60  # 12:01
    assert bot.poll() == 1 and len(x.posts) == 3


def test_the_daily_cap_defers_the_rest_until_the_next_utc_day(make: Callable[..., Bot], feeds: FeedServer,
                                                              x: XServer, clock: FakeClock,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    bot = make(BOT_DAEMON_DAILY_CAP="1")
    bot.poll()
    feeds.set_body("/feed", rss(item("news-two", 0), item("news-one", 1), *OLD))
    assert bot.poll() == 1 and len(x.posts) == 3
    assert bot.row("news-one")["status"] == "posted" and bot.row("news-two")["status"] == "new"  # oldest first
    assert "daily cap of 1 threads reached" in caplog.text
    clock.t += 3600
    assert bot.poll() == 0 and len(x.posts) == 3
    clock.t += DAY
    assert bot.poll() == 1 and len(x.posts) == 6 and bot.row("news-two")["status"] == "posted"


def test_failures_are_retried_with_backoff_then_reported(make: Callable[..., Bot], x: XServer, clock: FakeClock,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    bot = make(BOT_DAEMON_BACKLOG="latest", BOT_DAEMON_MAX_ATTEMPTS="3", BOT_DAEMON_RETRY_BACKOFF="100",
               BOT_X_RETRIES="0")
    for _ in range(3):
        x.fault("POST /2/media/upload", "503")
    with pytest.raises(EntriesFailed, match="1 entry failed to publish: Third Way"):
        bot.poll()
    row = bot.row("third-way")
    assert (row["status"], row["attempts"], row["next_attempt"]) == ("failed", 1, START + 100)
    assert "(attempt 1 of 3; next try at" in caplog.text
    clock.t = START + 50
    bot.poll()
    assert x.hits("POST /2/media/upload") == 1  # not due yet: X is not asked
    clock.t = START + 100
    with pytest.raises(EntriesFailed):
        bot.poll()
    assert (bot.row("third-way")["attempts"], bot.row("third-way")["next_attempt"]) == (2, START + 300)
    clock.t = START + 300
    with pytest.raises(EntriesFailed):
        bot.poll()
    assert bot.row("third-way")["attempts"] == 3 and x.hits("POST /2/media/upload") == 3
    assert "gave up on Third Way after 3 attempts" in caplog.text and "`bot retry /p/third-way`" in caplog.text
    clock.t = START + 10 * DAY
    bot.poll()
    assert x.hits("POST /2/media/upload") == 3 and x.posts == []
    assert [r["key"] for r in bot.store.exhausted(3)] == ["/p/third-way"]


def test_waiting_for_the_post_budget_uses_no_attempt(make: Callable[..., Bot], feeds: FeedServer, x: XServer,
                                                     clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    bot = make(BOT_X_POSTS_PER_DAY="4", BOT_DAEMON_MAX_ATTEMPTS="2")
    bot.poll()
    feeds.set_body("/feed", rss(item("news-one", 1), *OLD))
    assert bot.poll() == 1
    clock.t += 3600
    feeds.set_body("/feed", rss(item("news-two", 0), item("news-one", 1), *OLD))
    caplog.clear()
    assert bot.poll() == 0 and len(x.posts) == 3
    row = bot.row("news-two")
    frees = START + DAY + 1  # the first thread's posts leave the 24-hour window
    assert (row["status"], row["attempts"], row["next_attempt"]) == ("waiting", 0, frees)
    waits = [r for r in caplog.records if "waits for X" in r.getMessage()]
    assert len(waits) == 1 and waits[0].levelno == logging.INFO and "2027-01-16 08:00:01 UTC" in waits[0].getMessage()
    for _ in range(4):  # more polls than max_attempts before the budget frees: still waiting, X not asked
        clock.t += 3600
        bot.poll()
    assert bot.row("news-two")["status"] == "waiting" and x.hits("POST /2/tweets") == 3
    clock.t = frees
    assert bot.poll() == 1 and len(x.posts) == 6 and bot.row("news-two")["attempts"] == 0


def test_a_long_rate_limit_is_waited_out_without_using_an_attempt(make: Callable[..., Bot], x: XServer,
                                                                  clock: FakeClock) -> None:
    bot = make(BOT_DAEMON_BACKLOG="latest", BOT_DAEMON_MAX_ATTEMPTS="1")
    x.fault("POST /2/tweets", "429", reset_in=3600)  # longer than the client waits inside a poll
    assert bot.poll() == 0
    row = bot.row("third-way")
    assert (row["status"], row["attempts"]) == ("waiting", 0) and row["next_attempt"] >= START + 3600
    bot.poll()
    assert x.hits("POST /2/tweets") == 1
    clock.t = row["next_attempt"]
    assert bot.poll() == 1 and len(x.posts) == 3 and bot.row("third-way")["status"] == "posted"


def test_a_thread_stopped_between_tweets_is_finished_by_the_next_poll(make: Callable[..., Bot], x: XServer) -> None:
    bot = make(BOT_DAEMON_BACKLOG="latest", BOT_DAEMON_MAX_ATTEMPTS="1")
    assert bot.poll(should_stop=lambda: len(x.posts) >= 1) == 0  # SIGTERM arrives once the first post is out
    row = bot.row("third-way")
    assert len(x.posts) == 1 and (row["status"], row["attempts"]) == ("partial", 0)
    assert bot.poll() == 1
    assert_chained(x)
    assert bot.row("third-way")["status"] == "posted" and x.hits("POST /2/media/upload") == 1


def test_a_claim_held_by_another_process_is_normal(make: Callable[..., Bot], x: XServer, clock: FakeClock,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    bot = make(BOT_DAEMON_BACKLOG="latest", BOT_STORE_LEASE_SECONDS="60")
    bot.poll(should_stop=lambda: True)  # records the feed's entries, publishes nothing
    assert bot.store.claim(bot.url, "/p/third-way", "another-host:4242:cafe", 60, clock.time())
    caplog.clear()
    assert bot.poll() == 0 and x.posts == []
    assert "another bot process is publishing it" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert bot.row("third-way")["attempts"] == 0
    clock.t += 61  # the other process died without releasing: its lease runs out
    assert bot.poll() == 1 and len(x.posts) == 3


def test_a_claim_left_by_an_earlier_process_with_this_pid_is_taken_over_at_once(make: Callable[..., Bot], x: XServer) -> None:
    """A container restarts its bot as the same pid (often 1): the old claim's owner cannot be alive."""
    import os
    import socket

    bot = make(BOT_DAEMON_BACKLOG="latest")
    bot.poll(should_stop=lambda: True)
    stale = f"{socket.gethostname()}:{os.getpid()}:0ldc1a1m"
    assert bot.store.claim(bot.url, "/p/third-way", stale, 600, bot.clock.time())
    assert bot.poll() == 1 and len(x.posts) == 3  # no 10-minute wait for the lease


def test_a_thread_that_can_never_fit_the_budget_is_rejected_not_retried(make: Callable[..., Bot], x: XServer,
                                                                       clock: FakeClock) -> None:
    bot = make(BOT_DAEMON_BACKLOG="latest", BOT_X_POSTS_PER_DAY="2")
    with pytest.raises(EntriesFailed):
        bot.poll()
    assert x.posts == []
    row = bot.row("third-way")
    assert row["status"] == "rejected" and "can never fit" in row["last_error"]
    requests = len(x.requests)
    clock.t += 7 * 86400
    bot.poll()
    assert x.posts == [] and bot.row("third-way")["status"] == "rejected" and len(x.requests) == requests


def test_a_flood_of_entries_spends_nothing_on_threads_the_budget_cannot_post(
        make: Callable[..., Bot], feeds: FeedServer, x: XServer) -> None:
    bot = make(BOT_X_POSTS_PER_DAY="6")  # room for two threads of three
    bot.poll()
    flood = [item(f"flood-{n:02d}", 0) for n in range(40)]
    feeds.set_body("/feed", rss(*flood, *OLD))
    assert bot.poll() == 2 and len(x.posts) == 6
    rows = [r for r in bot.store.history(100) if r["key"].startswith("/p/flood-")]
    prepared = [r for r in rows if bot.store.load_plan(bot.url, r["key"])]
    assert len(rows) == 40 and len(prepared) == 2  # 38 threads never written, no image made for them
    waiting = [r for r in rows if r["status"] == "waiting"]
    assert len(waiting) == 38 and all(r["attempts"] == 0 for r in waiting)
    assert not list((bot.out).glob("*flood*/image*"))[2:]  # images only for the two that went out


def test_two_polls_at_once_in_one_process_prepare_a_new_entry_once(make: Callable[..., Bot], feeds: FeedServer,
                                                                   x: XServer) -> None:
    """`bot run --web`: an /api/poll and the daemon's poll of the same feed at once, in one process (one claim
    owner): the model writes the new entry's thread once, and one draft waits."""

    bot = make(BOT_REVIEW_MODE="approve")
    assert bot.poll() == 0  # the first poll records the backlog
    feeds.set_body("/feed", rss(item("fresh-news", 0), *OLD))
    written: list[str] = []

    class SlowWriter(ExtractiveWriter):  # a model that takes a moment: both polls are inside it at once
        def write(self, article: Any, spec: Any) -> Any:
            written.append(article.entry.key)
            time.sleep(1.0)
            return super().write(article, spec)

    start = threading.Barrier(2)

    def poll() -> None:
        deps = app.build(bot.settings, dry_run=False, clock=bot.clock, store=bot.store)
        deps.writer = SlowWriter()
        start.wait()
        poll_feed(bot.url, deps, lambda: False, bot.out)

    polls = [threading.Thread(target=poll) for _ in range(2)]
    for t in polls:
        t.start()
    for t in polls:
        t.join(30)
    assert written == ["/p/fresh-news"]  # prepared once: the model was paid once
    assert [d.entry_key for d in DraftStore(bot.store).listing()] == ["/p/fresh-news"] and x.posts == []


def test_a_thread_half_out_on_another_network_is_finished_outside_the_window(make: Callable[..., Bot],
                                                                              feeds: FeedServer, clock: FakeClock) -> None:
    # "Half a thread is worse": the window and the cap hold back new threads, not one that is partly out, on
    # whichever network it is (here Mastodon alone, so X's ledger is empty).
    from twins.mastodonserver import TOKEN, MastodonServer

    with MastodonServer() as masto:
        bot = make(BOT_NETWORKS="mastodon", MASTODON_BASE_URL=masto.url, MASTODON_ACCESS_TOKEN=TOKEN,
                   BOT_MASTODON_RETRIES="0", BOT_DAEMON_RETRY_BACKOFF="100", BOT_DAEMON_WINDOW="08:00-09:00")
        bot.poll()
        feeds.set_body("/feed", rss(item("fresh-news", 0), *OLD))
        masto.fault("POST /api/v1/statuses", "")  # status 1 goes out, status 2 gets a 500
        masto.fault("POST /api/v1/statuses", "500")
        with pytest.raises(EntriesFailed):
            bot.poll()
        assert len(masto.statuses) == 1
        clock.t += 3600  # 09:00: the window has closed, the retry is due
        bot.poll()
        assert len(masto.statuses) == 3 and bot.row("fresh-news")["status"] == "posted"
        ids = [s["id"] for s in masto.statuses]
        assert [s["in_reply_to_id"] for s in masto.statuses] == [None, *ids[:-1]]
