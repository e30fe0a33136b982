"""LinkedIn against its local twin (tests/twins/linkedin.py): the thread as one post with its image and alt text, sent
once; reserved characters escaped so nothing is cut; the link in a first comment by setting; a lost answer or a kill
between sending and recording resolved by reading back, never by sending twice; a missing read permission holds the
entry instead of resending; the twin refusing what LinkedIn refuses."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from helpers.botproc import ENTRY, BotProcess, bot_env, run_bot, wait_until
from helpers.json_ledger import JSONLedger
from helpers.xkit import make_thread, png, settings_for
from twins.linkedin import AUTHOR, LIMIT, TOKEN, LinkedInTwin, shown, utf16

from bot.core.clock import FakeClock
from bot.core.errors import AuthError, ConfigError, PublishError
from bot.core.records import NetworkThread, Tweet
from bot.networks.http import NotSent
from bot.networks.linkedin.length import COUNTER, compose, escape
from bot.networks.linkedin.post import Held, LinkedInPublisher
from bot.networks.linkedin.token import TokenAge

ROOT = Path(__file__).resolve().parents[2]
LINK = "https://quietindex.substack.com/p/why-small-newsletters-win"
TEXTS = ("1/3 Small newsletters win (#23 in a series): readers trust a voice they know.",
         "2/3 Big outlets chase reach; small ones keep attention — 40% open rates at 2,000 readers & up. 📬",
         f"3/3 Read the whole post: {LINK}")
BODY = ("Small newsletters win (#23 in a series): readers trust a voice they know.\n\n"
        "Big outlets chase reach; small ones keep attention — 40% open rates at 2,000 readers & up. 📬\n\n"
        f"Read the whole post: {LINK}")


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files kept beside the default database (the token files) land in the test's folder, not the tree."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def li(clock: FakeClock) -> Iterator[LinkedInTwin]:
    with LinkedInTwin(clock=clock.time) as twin:
        yield twin


def env(twin: LinkedInTwin, **extra: str) -> dict[str, str]:
    return {"LINKEDIN_ACCESS_TOKEN": TOKEN, "LINKEDIN_AUTHOR": AUTHOR, "LINKEDIN_BASE_URL": twin.base, **extra}


def publisher(twin: LinkedInTwin, clock: FakeClock, **options: object) -> LinkedInPublisher:
    return LinkedInPublisher(settings_for("http://127.0.0.1:9", env(twin), **options), clock)


def thread(tmp: Path, texts: tuple[str, ...] = TEXTS) -> object:
    base = make_thread(image=png(tmp / "card.png"))
    posts = tuple(Tweet(t, COUNTER(t)) for t in texts)  # type: ignore[arg-type]
    return dataclasses.replace(base, networks=(NetworkThread("linkedin", posts, COUNTER.limit),))


def test_the_thread_goes_out_once_as_one_post_with_its_image_and_alt_text(li: LinkedInTwin, clock: FakeClock,
                                                                          tmp_path: Path) -> None:
    ledger = JSONLedger(tmp_path / "l.json")
    posted = publisher(li, clock).publish(thread(tmp_path), ledger)
    assert posted.complete and len(li.posts) == 1
    assert li.shown_posts() == [BODY]  # whole: the "(#23" did not cut it, the numbering is gone, the link is in it
    post = li.posts[0]
    assert post["content"]["media"]["altText"] == "A blue title card"
    assert li.images[post["content"]["media"]["id"]]["bytes"].startswith(b"\x89PNG")
    assert [(p.network, p.position, p.tweet_id) for p in posted.published] == [("linkedin", 1, post["id"])]
    again = publisher(li, clock).publish(thread(tmp_path), ledger)  # a rerun: the ledger holds it
    assert again.complete and len(li.posts) == 1


def test_unescaped_reserved_characters_would_cut_the_post_and_escaped_ones_do_not() -> None:
    assert shown("Small (#23) wins") == "Small "  # the twin cuts as LinkedIn does
    text = "a \\ | { } @ [ ] ( ) < > # * _ ~ b"
    assert shown(escape(text)) == text


def test_the_link_goes_in_a_first_comment_when_set(li: LinkedInTwin, clock: FakeClock, tmp_path: Path) -> None:
    ledger = JSONLedger(tmp_path / "l.json")
    posted = publisher(li, clock, linkedin__link_in_comment=True).publish(thread(tmp_path), ledger)
    assert posted.complete and len(li.posts) == 1 and len(li.comments) == 1
    assert LINK not in li.shown_posts()[0] and "Read the whole post" not in li.shown_posts()[0]
    assert shown(li.comments[0]["message"]["text"]) == LINK and li.comments[0]["object"] == li.posts[0]["id"]
    assert posted.published[1].ref == f"https://www.linkedin.com/feed/update/{li.posts[0]['id']}/"  # the post's page
    publisher(li, clock, linkedin__link_in_comment=True).publish(thread(tmp_path), ledger)
    assert len(li.posts) == 1 and len(li.comments) == 1


def test_a_lost_answer_is_found_by_reading_back_and_not_sent_again(li: LinkedInTwin, clock: FakeClock,
                                                                   tmp_path: Path) -> None:
    li.fault("POST /rest/posts", "drop")
    posted = publisher(li, clock).publish(thread(tmp_path), JSONLedger(tmp_path / "l.json"))
    assert posted.complete and len(li.posts) == 1 and posted.published[0].tweet_id == li.posts[0]["id"]


def test_without_the_read_permission_an_unknown_outcome_is_held_not_resent(li: LinkedInTwin, clock: FakeClock,
                                                                           tmp_path: Path) -> None:
    li.scopes.discard("r_member_social")
    li.fault("POST /rest/posts", "drop")
    ledger = JSONLedger(tmp_path / "l.json")
    with pytest.raises(Held) as held:
        publisher(li, clock).publish(thread(tmp_path), ledger)
    assert not held.value.retryable and "look at the LinkedIn profile" in str(held.value)
    with pytest.raises(Held):  # every later run holds it too
        publisher(li, clock).publish(thread(tmp_path), ledger)
    assert len(li.posts) == 1


def test_a_post_that_never_arrived_is_sent_once_its_request_has_surely_landed(li: LinkedInTwin, clock: FakeClock,
                                                                              tmp_path: Path) -> None:
    ledger = JSONLedger(tmp_path / "l.json", now=clock.time)
    ledger.pending(1)  # marked, then the process died before the request left
    with pytest.raises(PublishError) as waiting:  # within linkedin.confirm_horizon it may still land: not sent
        publisher(li, clock).publish(thread(tmp_path), ledger)
    assert waiting.value.retryable and not li.posts and ledger.pending_positions() == {1}
    assert clock.time() >= 1_800_000_000.0 + 30  # it waited out linkedin.timeout before deciding
    clock.sleep(300)  # past linkedin.confirm_horizon: surely never made
    posted = publisher(li, clock).publish(thread(tmp_path), ledger)
    assert posted.complete and len(li.posts) == 1


def test_what_the_twin_refuses(li: LinkedInTwin, clock: FakeClock, tmp_path: Path) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}", "X-Restli-Protocol-Version": "2.0.0"}
    body = {"author": AUTHOR, "commentary": "hi", "visibility": "PUBLIC", "distribution": {},
            "lifecycleState": "PUBLISHED"}
    assert requests.post(f"{li.base}/rest/posts", json=body, headers=headers, timeout=5).status_code == 400
    assert requests.post(f"{li.base}/rest/posts", json=body, headers={**headers, "LinkedIn-Version": "202301"},
                         timeout=5).status_code == 426
    long = {**body, "commentary": "😀" * (LIMIT // 2) + "x"}
    assert utf16(long["commentary"]) == LIMIT + 1
    assert requests.post(f"{li.base}/rest/posts", json=long, headers={**headers, "LinkedIn-Version": "202511"},
                         timeout=5).status_code == 400
    assert requests.post(f"{li.base}/rest/posts", json={"author": AUTHOR},
                         headers={**headers, "LinkedIn-Version": "202511"}, timeout=5).status_code == 422
    assert not li.posts
    with pytest.raises(ConfigError, match="linkedin.api_version"):
        publisher(li, clock, linkedin__api_version="202301").publish(thread(tmp_path), JSONLedger(tmp_path / "a.json"))
    with pytest.raises(AuthError, match="60 days"):
        LinkedInPublisher(settings_for("http://127.0.0.1:9", env(li, LINKEDIN_ACCESS_TOKEN="wrong")), clock).publish(
            thread(tmp_path), JSONLedger(tmp_path / "b.json"))
    assert not li.posts


def test_a_long_thread_fits_3000_by_whole_paragraphs_keeping_the_link() -> None:
    texts = tuple(f"{n}. " + "A sentence about newsletters (and readers). " * 20 for n in range(6)) + (LINK,)
    body, comment, notes = compose(texts)
    assert COUNTER(body) <= 3000 and body.endswith(LINK) and not comment and notes
    assert utf16(escape(body)) == COUNTER(body)


def test_killed_after_the_send_before_the_record_the_rerun_posts_nothing_twice(li: LinkedInTwin,
                                                                               tmp_path: Path) -> None:
    child = ROOT / "tests" / "helpers" / "publish_social.py"
    marker, ledger = tmp_path / "marker", tmp_path / "ledger.json"
    base_env = {**os.environ, **env(li), "BOT_TEST_MARKER": str(marker),
                "BOT_STORE_SQLITE_PATH": str(tmp_path / "bot.db")}
    args = [sys.executable, str(child), "linkedin", str(ledger), str(png(tmp_path / "card.png"))]
    proc = subprocess.Popen(args, env={**base_env, "BOT_TEST_PAUSE_AT": "sent-1"}, stdout=subprocess.PIPE, text=True,
                            cwd=tmp_path)
    try:
        for _ in range(300):
            if marker.exists() or proc.poll() is not None:
                break
            __import__("time").sleep(0.05)
        assert marker.read_text() == "sent-1" and len(li.posts) == 1
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    rerun = subprocess.run(args, env=base_env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert len(li.posts) == 1 and f'"{li.posts[0]["id"]}"' in rerun.stdout


@pytest.mark.slow
def test_bot_post_killed_with_the_post_in_flight_then_rerun_posts_it_once(feed_url: str, tmp_path: Path) -> None:
    gate = threading.Event()
    with LinkedInTwin(hold=gate) as twin:
        environment = bot_env(tmp_path, "", env(twin), BOT_NETWORKS="linkedin", BOT_LINKEDIN_TIMEOUT="1")
        args = ["post", "--feed", feed_url, "--entry", ENTRY, "--out", str(tmp_path / "out")]
        with BotProcess(args, environment, tmp_path, name="run1") as bot:
            wait_until(twin.held.is_set, 60, "the post to be in flight", bot)
            assert bot.kill() == -signal.SIGKILL
        twin.hold = None
        gate.set()  # the dead request lands now: the post exists, its answer went nowhere
        wait_until(lambda: len(twin.posts) == 1, 10, "the held post to land")
        done = run_bot(args, environment, tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
        assert len(twin.posts) == 1
        record = json.loads((tmp_path / "out" / "thread.json").read_text())
        assert [(p["network"], p["id"]) for p in record["published"]] == [("linkedin", twin.posts[0]["id"])]


def test_an_older_post_with_the_same_text_is_not_taken_for_the_lost_one(li: LinkedInTwin, clock: FakeClock,
                                                                        tmp_path: Path) -> None:
    publisher(li, clock).publish(thread(tmp_path), JSONLedger(tmp_path / "old.json"))  # last week's, same text
    clock.sleep(7 * 86400)
    ledger = JSONLedger(tmp_path / "l.json", now=clock.time)
    ledger.pending(1)  # this week's: marked, then the process died before the request left
    with pytest.raises(PublishError):  # not last week's post, and within linkedin.confirm_horizon: nothing sent
        publisher(li, clock).publish(thread(tmp_path), ledger)
    assert len(li.posts) == 1
    clock.sleep(300)
    posted = publisher(li, clock).publish(thread(tmp_path), ledger)
    assert posted.complete and len(li.posts) == 2 and posted.published[0].tweet_id == li.posts[0]["id"]


def test_a_rate_limit_sends_nothing_and_leaves_nothing_pending(li: LinkedInTwin, clock: FakeClock,
                                                               tmp_path: Path) -> None:
    li.daily_posts = 0
    ledger = JSONLedger(tmp_path / "l.json")
    with pytest.raises(PublishError) as limited:
        publisher(li, clock).publish(thread(tmp_path), ledger)
    assert limited.value.retryable and "rate limit" in str(limited.value)
    assert not li.posts and not ledger.pending_positions()


def test_a_post_that_never_left_is_sent_later_without_reading_back(li: LinkedInTwin, clock: FakeClock,
                                                                   tmp_path: Path) -> None:
    li.scopes.discard("r_member_social")  # reading back would be refused: it must not be needed here
    ledger = JSONLedger(tmp_path / "l.json")
    closed = settings_for("http://127.0.0.1:9", env(li, LINKEDIN_BASE_URL="http://127.0.0.1:9"))
    no_image = dataclasses.replace(thread(tmp_path), image=dataclasses.replace(make_thread().image))
    with pytest.raises(NotSent, match="nothing was sent"):
        LinkedInPublisher(closed, clock).publish(no_image, ledger)
    assert not ledger.pending_positions()
    posted = publisher(li, clock).publish(no_image, ledger)
    assert posted.complete and len(li.posts) == 1
    with pytest.raises(ConfigError, match="LINKEDIN_BASE_URL|linkedin.base_url"):
        LinkedInPublisher(settings_for("http://127.0.0.1:9", env(li, LINKEDIN_BASE_URL="api.linkedin.com")),
                          clock).publish(no_image, JSONLedger(tmp_path / "m.json"))


def test_bot_check_warns_before_the_token_can_have_ended(tmp_path: Path) -> None:
    settings = settings_for("http://127.0.0.1:9", {"LINKEDIN_ACCESS_TOKEN": TOKEN},
                            store__sqlite_path=str(tmp_path / "bot.db"))
    start = 1_800_000_000.0  # 2027-01-15
    assert TokenAge(settings).warning(start) == \
        "the token ends by 2027-03-16 at the latest (LinkedIn tokens last 60 days)"
    assert TokenAge(settings).warning(start + 45 * 86400).startswith("the token ends by 2027-03-16")
    assert TokenAge(settings).warning(start + 47 * 86400).startswith("WARNING: the LinkedIn token ends by 2027-03-16")
    assert TOKEN not in (tmp_path / "linkedin-token.json").read_text()
    fresh = settings_for("http://127.0.0.1:9", {"LINKEDIN_ACCESS_TOKEN": "a-new-one"},
                         store__sqlite_path=str(tmp_path / "bot.db"))
    assert "2027-04-30" in TokenAge(fresh).warning(start + 45 * 86400)  # a new token starts its own 60 days
