"""Feed faults, through `bot run --once` (the daemon's cycle): a broken feed is reported in one line, the other
feeds are still posted, and a second cycle posts nothing twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faults import fault
from helpers.twitter_text import x_valid
from helpers.world import ESSAY, World, item, no_leaks, rss
from twins.feedserver import FeedServer
from twins.xserver import XServer

GOOD = rss(item("why-small-newsletters-win", "Why small newsletters win", ESSAY))


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with FeedServer() as feeds, XServer() as x:
        feeds.route("/good", GOOD)
        yield World(tmp_path, feeds, x)


# Another essay for the bad feed's entry: the good feed posts ESSAY, and X refuses a second copy of any of its tweets.
OTHER = ("<p>Readers of small lists write back, and their letters shape the next issue.</p><p>Lists under two "
         "thousand subscribers keep their readers for years; the big ones churn through theirs every season.</p>")


def cycle_twice(world: World, bad: str) -> tuple[Any, Any]:
    """Two daemon cycles over [bad, good]; the good feed's thread is posted once, whatever the bad one does."""
    feeds = [world.feeds.url(bad), world.feeds.url("/good")]
    first = world.once(feeds)
    posted = len(world.x.posts)
    second = world.once(feeds)
    no_leaks(first.stdout, first.stderr, second.stdout, second.stderr)
    good = [p for p in world.x.posts if "readers" in p["text"] or "newsletters" in p["text"].lower()]
    assert len(good) >= 3, first.stderr[-2000:]
    assert len(world.x.posts) == posted  # the second cycle posted nothing again
    return first, second


BROKEN = [
    ("404", dict(status=404, body=b"<html>Not found</html>", content_type="text/html")),
    ("500", dict(status=500, body=b"<html>Internal error</html>", content_type="text/html")),
    ("timeout", dict(body=GOOD, delay=5.0)),
    ("hang", dict(body=GOOD, hang=5.0)),
]
PROBLEM = {"404": "(HTTP 404)", "500": "server error (HTTP 500)", "timeout": "did not answer within 2 s",
           "hang": "did not finish sending the feed within 2 s"}


@fault("Feed", "a feed answering 404 or 500, one that times out, one that sends headers and hangs (beside a good feed)",
       "one log line naming the feed and the problem, the cycle exits 1, the good feed's thread is posted once; "
       "the next cycle tries the broken feed again and posts nothing twice", cases=len(BROKEN))
@pytest.mark.parametrize(("name", "route"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_feed_does_not_stop_the_others(world: World, name: str, route: dict[str, Any]) -> None:
    world.feeds.route("/bad", **route)
    first, second = cycle_twice(world, "/bad")
    assert first.returncode == 1 and second.returncode == 1
    for cycle in (first, second):  # one line naming the feed (its URL) and the problem, each cycle
        lines = [line for line in cycle.stderr.splitlines()
                 if world.feeds.url("/bad") in line and " ERROR " in line]
        assert len(lines) == 1, cycle.stderr[-2000:]
        assert PROBLEM[name] in lines[0], lines[0]
    assert len(world.feeds.requests) >= 4  # both feeds, both cycles


@fault("Feed", "truncated XML (the download breaks off mid-item)",
       "the entries that parsed are posted, with a warning; nothing is posted twice")
def test_truncated_xml_posts_what_parsed(world: World) -> None:
    own = "<p>Small lists teach their writers to listen. Replies arrive within hours and shape the next issue.</p><p>One reader in ten answers a question asked at the end of a post.</p>"  # not the good feed's essay: X refuses a duplicate text
    body = rss(item("first-post", "A first post about small lists", own),
               item("second-post", "A second post", own, days_ago=2))
    world.feeds.route("/cut", body[: body.index(b"A second post") + 40])
    first, _second = cycle_twice(world, "/cut")
    warnings = [line for line in first.stderr.splitlines() if "malformed" in line and world.feeds.url("/cut") in line]
    assert len(warnings) == 1 and first.returncode == 0, first.stderr[-2000:]
    assert any("first post about small lists" in p["text"].lower() for p in world.x.posts)


@fault("Feed", "an entry of 10 MB of HTML", "the thread is posted from the start of the article; every tweet valid")
def test_a_ten_megabyte_entry(world: World) -> None:
    huge = OTHER + "<p>" + "Another long sentence about why small lists matter to their readers. " * 150_000 + "</p>"
    world.feeds.route("/huge", rss(item("huge", "A very long essay", huge)))
    first, _second = cycle_twice(world, "/huge")
    assert first.returncode == 0, first.stderr[-2000:]
    assert any("very long essay" in p["text"].lower() for p in world.x.posts)
    assert all(x_valid(p["text"]) for p in world.x.posts)  # twitter-text's count


@fault("Feed", "an article with `<script>`, `<style>`, iframes and inline event handlers",
       "none of that code reaches a tweet or the image; the thread is posted")
def test_scripts_and_styles_never_reach_a_tweet(world: World) -> None:
    html = ("<style>body{color:red}</style><script>alert('pwned')</script>"
            "<p onclick=\"steal()\">Small newsletters win because readers chose them on purpose.</p>"
            "<iframe src=\"https://evil-prize.com/frame\"></iframe><noscript>enable javascript</noscript>" + OTHER)
    world.feeds.route("/scripts", rss(item("scripts", "Scripts in a post", html)))
    first, _second = cycle_twice(world, "/scripts")
    assert first.returncode == 0, first.stderr[-2000:]
    text = "\n".join(world.texts())
    for code in ("alert", "color:red", "steal()", "evil-prize", "enable javascript"):
        assert code not in text


TRICKLED = [("keep-alive", {}), ("Connection: close", {"Connection": "close"})]


@fault("Feed", "a feed sent at a byte a second after its headers, on a kept-alive connection and with "
       "`Connection: close` (http.client drops its socket reference on such an answer)",
       "`bot post` ends within feed.timeout plus a little, with one line saying the feed did not finish in time",
       cases=len(TRICKLED))
@pytest.mark.parametrize(("mode", "headers"), TRICKLED, ids=[t[0] for t in TRICKLED])
def test_a_trickled_feed_ends_at_the_whole_download_deadline(world: World, mode: str, headers: dict[str, str]) -> None:
    import time

    world.feeds.route("/trickle", GOOD, trickle=1.0, headers=headers)
    started = time.monotonic()
    result = world.cli(["post", "--dry-run", "--out", str(world.tmp / "out")], [world.feeds.url("/trickle")],
                       BOT_FEED_TIMEOUT="2")
    took = time.monotonic() - started
    no_leaks(result.stdout, result.stderr)
    assert result.returncode != 0 and "did not finish sending the feed within 2 s" in result.stderr, result.stderr
    assert took < 2 + 4, (mode, took)  # feed.timeout, plus the bot's own start


@fault("Feed", "--feed naming /dev/zero, /dev/urandom or a FIFO nobody writes to (a feed path that is no regular "
       "file)", "a real `bot post --dry-run` exits 1 within seconds with one line saying so (it read /dev/zero "
       "into memory without end, and waited on the FIFO for ever)", cases=3)
@pytest.mark.parametrize("source", ["/dev/zero", "/dev/urandom", "fifo"])
def test_a_feed_path_that_is_no_regular_file_is_refused(source: str, tmp_path: Path) -> None:
    import os
    import subprocess

    from helpers.botproc import bot_env, run_bot

    if source == "fifo":
        os.mkfifo(tmp_path / "feed.xml")
        source = str(tmp_path / "feed.xml")
    try:
        done = run_bot(["post", "--dry-run", "--feed", source, "--out", str(tmp_path / "out")], bot_env(tmp_path),
                       tmp_path, timeout=20)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"bot post --feed {source} still ran after 20 s") from None
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1 and "not a regular file" in lines[0], done.stderr[-1000:]
