"""X API faults, through `bot run --once` against the local X API: every thread ends complete (or reported), its
posts chained, and no post is ever sent twice — even when X took a post and the answer was lost."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faults import fault
from helpers import on_x
from helpers.botproc import BotProcess, wait_until
from helpers.world import ESSAY, World, item, no_leaks, rss
from twins.feedserver import FeedServer
from twins.xserver import XServer


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with FeedServer() as feeds, XServer() as x:
        feeds.route("/feed", rss(item("why-small-newsletters-win", "Why small newsletters win", ESSAY)))
        yield World(tmp_path, feeds, x)


def run(world: World, **extra: str) -> Any:
    result = world.once([world.feeds.url("/feed")], **extra)
    no_leaks(result.stdout, result.stderr)
    return result


def assert_one_thread(world: World, link: str = "reply") -> None:
    """Three posts, each text once, the first with the image, each next one linked to the one before."""
    on_x.assert_one_thread(world.x, link=link)


RECOVERED = [
    ("500 on a post", "POST /2/tweets", "500", {}),
    ("a dropped connection on a post", "POST /2/tweets", "drop", {}),
    ("a post X took whose answer never came", "POST /2/tweets", "created_drop", {}),
    ("an answer slower than the timeout, the post taken", "POST /2/tweets", "slow", {"delay": 4.5}),
    ("a slow answer within the timeout", "POST /2/tweets", "slow", {"delay": 1.0}),
    ("500 on the media upload", "POST /2/media/upload", "500", {}),
    ("429 with x-rate-limit-reset in 2 s", "POST /2/tweets", "429", {"reset_in": 2}),
]


@fault("X API", "500 or a dropped connection on a post or the upload; a post taken whose answer was lost; an answer slower "
       "than the timeout; a slow answer; 429 with a reset",
       "bounded retries, waits until the reset; a post whose answer was lost is found on the timeline, not sent again; "
       "one complete thread", cases=len(RECOVERED))
@pytest.mark.parametrize(("name", "route", "kind", "options"), RECOVERED, ids=[r[0] for r in RECOVERED])
def test_the_thread_completes_once(world: World, name: str, route: str, kind: str, options: dict[str, Any]) -> None:
    # The second post meets the fault (the first, for the upload), so a resumed thread is what is tested.
    if route == "POST /2/tweets":
        world.x.fault(route, "ok")
    world.x.fault(route, kind, **options)
    first = run(world)
    completed_first = len(world.x.posts) == 3
    if len(world.x.posts) < 3:  # a cycle may stop and leave the rest to the next one; it must not double anything
        world.advance(2)  # past daemon.retry_backoff on the bot's clock, no real sleep
        run(world)
    assert_one_thread(world)
    assert run(world).returncode == 0 and len(world.x.posts) == 3
    assert first.returncode == (0 if completed_first else 1), first.stderr[-2000:]


@fault("X API", "403 on replies (reply restrictions since Feb 2026), with x.reply_fallback quote and stop",
       "quote: the rest of the thread goes out as quote posts and the log says so; stop: the first post only, "
       "recorded as truncated and not retried", cases=2)
@pytest.mark.parametrize("fallback", ["quote", "stop"])
def test_replies_forbidden(world: World, fallback: str) -> None:
    world.x.forbid_replies = True
    result = run(world, BOT_X_REPLY_FALLBACK=fallback)
    assert result.returncode == 0, result.stderr[-2000:]
    if fallback == "quote":
        assert_one_thread(world, link="quote")
        assert "quote" in result.stderr.lower()
        return
    assert len(world.x.posts) == 1 and world.x.posts[0]["media_ids"]
    status = world.history([world.feeds.url("/feed")])[0]["status"]
    assert status == "truncated", result.stderr[-2000:]
    world.advance(2)
    run(world, BOT_X_REPLY_FALLBACK=fallback)
    assert len(world.x.posts) == 1


@fault("X API", "403 duplicate content: the thread is already on the account (another install posted it), recently "
       "or beyond the timeline the bot reads",
       "a recent one is found and adopted (recorded as posted, nothing sent again); an old one marks the entry "
       "duplicate with one log line, never retried", cases=2)
@pytest.mark.parametrize("age_days", [0, 30])
def test_duplicate_content(world: World, tmp_path: Path, age_days: int) -> None:
    other = World(tmp_path / "other", world.feeds, world.x)
    other.tmp.mkdir()
    assert run(other).returncode == 0 and len(world.x.posts) == 3  # another install posted it already
    for post in world.x.posts:
        post["created"] -= age_days * 86400
    sent = world.x.hits("POST /2/tweets")
    first = run(world)
    assert world.x.hits("POST /2/tweets") <= sent + 3, first.stderr[-2000:]  # at most one try per post
    status = world.history([world.feeds.url("/feed")])[0]["status"]
    if age_days == 0:
        assert "adopted" in first.stderr and status == "posted"
    else:
        assert "duplicate" in first.stderr.lower() and status == "duplicate", first.stderr[-2000:]
    tried = world.x.hits("POST /2/tweets")
    world.advance(2)
    run(world)
    assert len(world.x.posts) == 3 and world.x.hits("POST /2/tweets") == tried  # never retried


@fault("X API", "401 (a wrong secret)",
       "one log line about the X credentials, nothing posted, secrets never printed; with the right secret the "
       "entry is retried and posted once")
def test_wrong_credentials(world: World) -> None:
    first = run(world, X_API_SECRET="a-wrong-secret-9999")
    assert world.x.posts == [] and "a-wrong-secret-9999" not in first.stderr + first.stdout
    said = [line for line in first.stderr.splitlines() if "X rejected the credentials" in line]
    assert len(said) == 1 and "(401)" in said[0] and "X_API_SECRET" in said[0], first.stderr[-2000:]
    world.advance(2)
    assert run(world).returncode == 0
    assert_one_thread(world)


@fault("X API", "the bot is SIGKILLed 0.3 s after sending post 1, 2 or 3, which X makes 2.5 s later and does not "
       "refuse as a duplicate; rerun at once",
       "the rerun finds nothing on its first look, looks again once the dead request's timeout has passed, and "
       "adopts the post: one copy of every tweet, recorded as posted", cases=3)
@pytest.mark.parametrize("position", [1, 2, 3])
def test_killed_with_a_post_in_flight(world: World, position: int) -> None:
    world.x.filter_duplicates = False
    for _ in range(position - 1):
        world.x.fault("POST /2/tweets", "ok")
    world.x.fault("POST /2/tweets", "slow", delay=2.5)
    feeds = [world.feeds.url("/feed")]
    with BotProcess(["run", "--once"], world.base_env(feeds), world.tmp, name="killed") as bot:
        wait_until(lambda: world.x.arrived.get("POST /2/tweets", 0) >= position, 30, f"post {position} sent", bot)
        time.sleep(0.3)
        bot.kill()
    rerun = run(world)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    wait_until(lambda: world.x.hits("POST /2/tweets") == world.x.arrived["POST /2/tweets"], 10, "X to answer all")
    assert_one_thread(world)
    (row,) = world.history(feeds)
    assert row["status"] == "posted" and [t["tweet_id"] for t in row["tweets"]] == [p["id"] for p in world.x.posts]


OTHER_ESSAY = ("<p>Readers of small lists write back, and those letters shape the next issue. Writers keep going for "
               "them.</p>" + ESSAY[ESSAY.index("<h2>"):])  # another opening, the same ending


@fault("X API", "the answer to a thread's link post is lost (never made) while another thread's link post, the same "
       "words with another link, is on the account",
       "the other thread's post is not adopted (full text with X's t.co links expanded, and the post it replies "
       "to, must match): the link post is sent, each thread complete")
def test_a_lost_link_post_is_not_taken_from_another_thread(tmp_path: Path) -> None:
    with FeedServer() as feeds, XServer() as x:
        feeds.route("/feed", rss(item("why-small-newsletters-win", "Why small newsletters win", ESSAY),
                                 item("why-small-newsletters-last", "Why small newsletters last", OTHER_ESSAY,
                                      days_ago=1)))
        world = World(tmp_path, feeds, x)
        for _ in range(5):
            x.fault("POST /2/tweets", "ok")
        x.fault("POST /2/tweets", "drop")  # the newer entry's link post: lost before X made it
        result = run(world, BOT_DAEMON_BACKLOG_COUNT="2")
        texts = world.texts()
        assert len(texts) == 6, result.stderr
        a, b = x.posts[:3], x.posts[3:]
        assert a[2]["text"] != b[2]["text"] and a[2]["text"].split("http")[0] == b[2]["text"].split("http")[0]
        for thread in (a, b):
            assert [p["reply_to"] for p in thread] == [None, thread[0]["id"], thread[1]["id"]]
        assert [row["status"] for row in world.history([feeds.url("/feed")])] == ["posted", "posted"]


@fault("X API", "an entry that fails to publish (X refuses every post: 403, the app cannot write) under "
       "`bot run --once`",
       "exit 1, and the heartbeat line says the poll failed (never \"ok\"), so cron notices; the entry is reported")
def test_run_once_fails_when_an_entry_failed(world: World) -> None:
    world.x.fault("POST /2/tweets", "403")
    result = run(world)
    assert result.returncode == 1, result.stderr[-2000:]
    beats = [line for line in result.stderr.splitlines() if "heartbeat:" in line]
    assert beats and all("(failed)" in line and "(ok)" not in line for line in beats), beats
    assert world.x.posts == []
    assert world.history([world.feeds.url("/feed")])[0]["status"] in ("failed", "rejected")
