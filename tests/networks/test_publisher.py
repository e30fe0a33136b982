"""XPublisher over real HTTP against the local X API: a thread exactly once, through faults, resumes and fallbacks."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dbs import fresh_postgres
from helpers import on_x
from helpers.json_ledger import JSONLedger
from helpers.xkit import TEXTS, make_thread, png, settings_for
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from twins.xserver import CREDENTIALS, XServer, x_copy, x_copy_with_entities

from bot.core.clock import FakeClock
from bot.core.errors import BudgetExceeded, DuplicateContent, PublishError, RateLimited, ReplyForbidden
from bot.core.records import PublishedTweet
from bot.networks.base import Budget, DryRunPublisher, cost, posts_needed
from bot.networks.x.client import XClient
from bot.networks.x.match import same_post
from bot.networks.x.thread import XPublisher


@pytest.fixture
def ledger(tmp_path: Path, clock: FakeClock) -> JSONLedger:
    return JSONLedger(tmp_path / "ledger.json", now=clock.time)


@pytest.fixture
def thread(tmp_path: Path) -> Any:
    return make_thread(image=png(tmp_path / "card.png"))


def publisher(x: XServer, clock: FakeClock, **options: Any) -> XPublisher:
    settings = settings_for(x.url, CREDENTIALS, **options)
    return XPublisher(XClient(settings, settings.secrets, clock), settings, clock)


def assert_one_thread(x: XServer, texts: tuple[str, ...] = TEXTS, link: str = "reply") -> None:
    """The account holds each text exactly once, each post chained to the one before, the image on the first."""
    on_x.assert_one_thread(x, texts, link=link, alt="A blue title card")


def test_a_thread_goes_out_as_replies_with_the_image_and_its_alt_text_on_the_first(
        x: XServer, clock: FakeClock, ledger: JSONLedger, thread: Any) -> None:
    posted = publisher(x, clock).publish(thread, ledger)
    assert_one_thread(x)
    assert posted.complete and posted.mode == "reply" and posted.notes == ()
    assert [t.tweet_id for t in posted.published] == [p["id"] for p in x.posts]
    assert ledger.done() == {t.position: t for t in posted.published} and ledger.pending_positions() == set()
    assert posted.published[0].media_id == x.posts[0]["media_ids"][0]


def test_a_rerun_posts_nothing(x: XServer, clock: FakeClock, ledger: JSONLedger, thread: Any) -> None:
    pub = publisher(x, clock)
    first = pub.publish(thread, ledger)
    again = pub.publish(thread, ledger)
    assert again.published == first.published and again.complete
    assert x.hits("POST /2/tweets") == 3 and x.hits("POST /2/media/upload") == 1


def test_a_failed_run_resumes_where_it_stopped_without_uploading_again(
        x: XServer, clock: FakeClock, ledger: JSONLedger, thread: Any) -> None:
    x.fault("POST /2/tweets", "ok")
    x.fault("POST /2/tweets", "429", reset_in=7200)
    with pytest.raises(RateLimited):
        publisher(x, clock).publish(thread, ledger)
    assert set(ledger.done()) == {1} and ledger.pending_positions() == set()  # X refused post 2: nothing made
    posted = publisher(x, clock).publish(thread, ledger)
    assert posted.complete
    assert_one_thread(x)
    assert x.hits("POST /2/media/upload") == 1


@pytest.mark.parametrize("position", [1, 2, 3])
def test_a_post_made_whose_answer_never_came_is_adopted_not_resent(
        x: XServer, clock: FakeClock, ledger: JSONLedger, thread: Any, position: int) -> None:
    for _ in range(position - 1):
        x.fault("POST /2/tweets", "ok")
    x.fault("POST /2/tweets", "created_drop")
    posted = publisher(x, clock).publish(thread, ledger)
    assert posted.complete
    assert_one_thread(x)
    assert x.hits("POST /2/tweets") == 3 and x.hits("GET /2/users/:id/tweets") == 1
    assert sum(clock.slept) == 2.0  # one backoff, then found at the first look


@pytest.mark.parametrize("fault", ["500", "503", "drop"])
def test_a_post_that_failed_is_looked_for_then_sent_again(
        x: XServer, clock: FakeClock, ledger: JSONLedger, thread: Any, fault: str) -> None:
    x.fault("POST /2/tweets", "ok")
    x.fault("POST /2/tweets", fault)
    start = clock.time()
    assert publisher(x, clock).publish(thread, ledger).complete
    assert_one_thread(x)
    # Not found at the first look: looked again with backoff until x.confirm_horizon (300 s by default) after the
    # failed request, and only then sent again.
    assert x.hits("POST /2/tweets") == 4 and x.hits("GET /2/users/:id/tweets") >= 2
    assert clock.time() - start >= 300


def test_retries_of_a_post_are_bounded_and_the_next_run_checks_first(
        x: XServer, clock: FakeClock, ledger: JSONLedger, thread: Any) -> None:
    for _ in range(3):
        x.fault("POST /2/tweets", "503")
    with pytest.raises(PublishError) as err:
        publisher(x, clock, x__retries=2, x__confirm_horizon=35.0).publish(thread, ledger)
    assert err.value.retryable and "3 attempts" in str(err.value)
    # each of the 3 attempts is followed by looks with backoff until x.confirm_horizon (35 s) after it was sent
    assert x.posts == [] and sum(clock.slept) == pytest.approx(3 * 35)
    assert x.hits("GET /2/users/:id/tweets") >= 3 * 2  # at least once after the backoff and once at the horizon
    assert publisher(x, clock).publish(thread, ledger).complete
    assert_one_thread(x)


def test_a_slow_answer_that_lands_late_is_posted_once(
        x: XServer, clock: FakeClock, ledger: JSONLedger, thread: Any) -> None:
    x.fault("POST /2/tweets", "slow", delay=0.6)
    assert publisher(x, clock, x__timeout=0.2).publish(thread, ledger).complete
    deadline = time.monotonic() + 3
    while x.hits("POST /2/tweets") < 4 and time.monotonic() < deadline:  # the late request is answered too
        time.sleep(0.05)
    assert x.hits("POST /2/tweets") == 4
    assert_one_thread(x)  # X refused the late copy as a duplicate


def test_a_pending_position_already_on_x_is_adopted_without_sending(
        x: XServer, clock: FakeClock, ledger: JSONLedger, thread: Any) -> None:
    pub = publisher(x, clock)
    ledger.pending(1)  # a process that died after X made post 1, before it heard back
    first = pub.client.create_post(TEXTS[0], [pub.client.upload_image(thread.image.path, "image/png", "A blue title card")])
    posted = pub.publish(thread, ledger)
    assert posted.published[0].tweet_id == first and posted.complete
    assert posted.published[0].media_id == x.posts[0]["media_ids"][0]
    assert x.hits("POST /2/tweets") == 3 and x.hits("POST /2/media/upload") == 1
    assert_one_thread(x)


def test_duplicate_text_standing_alone_on_the_account_is_not_taken_for_the_thread(
        x: XServer, clock: FakeClock, ledger: JSONLedger, thread: Any) -> None:
    pub = publisher(x, clock)
    pub.client.create_post(TEXTS[2])  # posted by hand: the same words, but not a reply to this thread's post 2
    with pytest.raises(DuplicateContent) as err:
        pub.publish(thread, ledger)
    assert not err.value.retryable and "post 3" in str(err.value)
    assert set(ledger.done()) == {1, 2} and len(x.posts) == 3


def test_duplicate_text_not_found_is_not_retried(
        x: XServer, clock: FakeClock, ledger: JSONLedger, thread: Any) -> None:
    pub = publisher(x, clock)
    pub.client.create_post(TEXTS[1])
    clock.sleep(30 * 86400)  # long gone from the recent posts the check reads
    with pytest.raises(DuplicateContent) as err:
        pub.publish(thread, ledger)
    assert not err.value.retryable and "post 2" in str(err.value)
    assert set(ledger.done()) == {1}


def test_refused_replies_fall_back_to_quotes_and_the_user_is_told(
        x: XServer, clock: FakeClock, ledger: JSONLedger, thread: Any) -> None:
    x.forbid_replies = True
    posted = publisher(x, clock, x__reply_fallback="quote").publish(thread, ledger)
    assert posted.complete and posted.mode == "quote"
    assert_one_thread(x, link="quote_of")
    assert any("quote" in note and "post 2" in note for note in posted.notes)


def test_refused_replies_stop_the_thread_when_configured(
        x: XServer, clock: FakeClock, ledger: JSONLedger, thread: Any) -> None:
    x.fault("POST /2/tweets", "ok")
    x.fault("POST /2/tweets", "reply403")
    posted = publisher(x, clock, x__reply_fallback="stop").publish(thread, ledger)
    assert not posted.complete and [t.position for t in posted.published] == [1]
    assert len(x.posts) == 1 and "posts 2–3 were not posted" in posted.notes[0]


def test_refused_replies_fail_the_entry_when_configured(
        x: XServer, clock: FakeClock, ledger: JSONLedger, thread: Any) -> None:
    x.forbid_replies = True
    with pytest.raises(ReplyForbidden) as err:
        publisher(x, clock, x__reply_fallback="fail").publish(thread, ledger)
    assert not err.value.retryable and "x.reply_fallback" in str(err.value)
    assert set(ledger.done()) == {1}


def test_quote_mode_and_single_mode(x: XServer, clock: FakeClock, tmp_path: Path, thread: Any) -> None:
    assert publisher(x, clock, x__thread_mode="quote").publish(thread, JSONLedger(tmp_path / "a")).mode == "quote"
    assert_one_thread(x, link="quote_of")
    x.posts.clear()
    posted = publisher(x, clock, x__thread_mode="single").publish(thread, JSONLedger(tmp_path / "b"))
    assert posted.complete and [p["text"] for p in x.posts] == [TEXTS[0]]


def test_a_thread_that_does_not_fit_the_budget_sends_nothing(
        x: XServer, clock: FakeClock, ledger: JSONLedger, thread: Any) -> None:
    with pytest.raises(BudgetExceeded) as err:
        publisher(x, clock).publish(thread, ledger, Budget(used_24h=15, per_day=17))
    assert err.value.retryable and "2 of x.posts_per_day=17" in str(err.value)
    with pytest.raises(BudgetExceeded):
        publisher(x, clock).publish(thread, ledger, Budget(used_month=99, per_month=100))
    assert x.requests == []


def test_the_budget_counts_only_what_is_left(x: XServer, clock: FakeClock, ledger: JSONLedger, thread: Any) -> None:
    ledger.record(PublishedTweet(1, "1"))
    x.posts.append({"id": "1", "text": TEXTS[0], "created": clock.time(), "media_ids": [], "reply_to": None,
                    "quote_of": None})
    assert publisher(x, clock).publish(thread, ledger, Budget(used_24h=15, per_day=17)).complete


def test_a_shutdown_stops_between_posts(x: XServer, clock: FakeClock, ledger: JSONLedger, thread: Any) -> None:
    settings = settings_for(x.url, CREDENTIALS)
    asks = iter([False, True])  # asked before each post: yes after post 1
    pub = XPublisher(XClient(settings, settings.secrets, clock), settings, clock, should_stop=lambda: next(asks))
    posted = pub.publish(thread, ledger)
    assert not posted.complete and len(x.posts) == 1 and "post 2" in posted.notes[0]


def test_secrets_never_reach_logs_or_errors(
        x: XServer, clock: FakeClock, ledger: JSONLedger, thread: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    x.fault("POST /2/tweets", "created_drop")
    x.forbid_replies = True
    with pytest.raises(ReplyForbidden) as err:
        publisher(x, clock, x__reply_fallback="fail").publish(thread, ledger)
    assert caplog.records
    for value in CREDENTIALS.values():
        assert value not in caplog.text and value not in str(err.value)


def test_dry_run_publishes_nothing(ledger: JSONLedger, thread: Any) -> None:
    posted = DryRunPublisher().publish(thread, ledger)
    assert posted.published == () and not posted.complete and ledger.done() == {}


@pytest.mark.parametrize("texts, mode, needed, dollars", [
    (TEXTS, "reply", 3, 0.015 + 0.015 + 0.20),
    (TEXTS, "single", 1, 0.015),
    (("See quietindex.substack.com/p/x", "b", "c"), "quote", 3, 0.20 + 0.015 * 2),
    (("only one",), "reply", 1, 0.015),
])
def test_cost_and_posts_needed(texts: tuple[str, ...], mode: str, needed: int, dollars: float) -> None:
    settings = settings_for("http://127.0.0.1:9", CREDENTIALS, x__thread_mode=mode)
    thread = make_thread(texts)
    assert posts_needed(thread, settings) == needed
    assert cost(thread, settings) == pytest.approx(dollars)


def shown(text: str, media_of: str = "") -> dict[str, Any]:
    """A post as X's timeline answers it with tweet.fields=entities (the local X API's rendering, not the bot's)."""
    copy, urls = x_copy_with_entities(text, media_of)
    return {"id": "7", "text": copy, "entities": {"urls": urls}} if urls else {"id": "7", "text": copy}


@pytest.mark.parametrize("ours, theirs, same", [
    ("Read it: https://example.com/p/x", "Read it: https://example.com/p/x", True),
    ("Read it: example.com/p/x", "Read it: example.com/p/x", True),
    ("Fish & chips <3", "Fish & chips <3", True),
    ("Café", "Cafe\u0301", True),
    ("One thing", "Another thing", False),
    ("Read it: https://example.com/p/x", "Read it now: https://example.com/p/x", False),
    ("Read it: https://example.com/p/one", "Read it: https://example.com/p/two", False),  # another link
    ("Read it: example.com/p/one", "Read it: example.com/p/two", False),
])
def test_same_post_compares_the_whole_text_with_xs_links_expanded(ours: str, theirs: str, same: bool) -> None:
    assert same_post(ours, shown(theirs)) is same
    assert same_post(ours, shown(theirs, media_of="42")) is same


def test_a_post_whose_links_x_did_not_expand_is_not_taken_for_ours() -> None:
    copy = x_copy("Read it: https://example.com/p/x")
    assert not same_post("Read it: https://example.com/p/x", {"id": "7", "text": copy})  # no entities: unknown


@hsettings(max_examples=60, deadline=None)
@given(words=st.lists(st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=8)
                      | st.sampled_from(["https://example.com/a?b=1", "example.org/p/x", "&", "<b>"]),
                      min_size=1, max_size=12),
       media=st.booleans())
def test_xs_copy_of_any_text_matches_the_text(words: list[str], media: bool) -> None:
    text = " ".join(words)
    assert same_post(text, shown(text, "42" if media else ""))


ENDINGS = ("Read the whole post: https://quietindex.substack.com/p/one",
           "Read the whole post: https://quietindex.substack.com/p/two")


@pytest.mark.parametrize("b_link", ENDINGS, ids=["another link", "the same link"])
def test_a_lost_post_is_never_adopted_from_another_thread(
        x: XServer, clock: FakeClock, tmp_path: Path, b_link: str) -> None:
    """Thread A is on X. Thread B's last post was marked pending by a process that died before sending it; B's last
    tweet reads like A's (apart from the link, or not even that). B's post is sent, A's is never taken for it."""
    x.filter_duplicates = False
    a = (TEXTS[0], "Thread A's second post, about open rates.", ENDINGS[0])
    b = ("Thread B starts here, on a different essay.", "Thread B's second post, about trust.", b_link)
    publisher(x, clock).publish(make_thread(a), JSONLedger(tmp_path / "a.json", now=clock.time))
    ledger_b = JSONLedger(tmp_path / "b.json", now=clock.time)
    publisher(x, clock).publish(make_thread(b[:2]), ledger_b)
    ledger_b.pending(3)
    clock.sleep(120)  # long after the dead request could have landed
    posted = publisher(x, clock).publish(make_thread(b), ledger_b)
    assert posted.complete
    assert [p["text"] for p in x.posts] == [*a, *b]
    assert x.posts[5]["reply_to"] == x.posts[4]["id"] and posted.published[2].tweet_id == x.posts[5]["id"]


def test_when_x_posts_cannot_be_read_a_post_of_unknown_fate_is_not_sent_again(
        x: XServer, clock: FakeClock, ledger: JSONLedger, thread: Any) -> None:
    x.filter_duplicates = False  # X's duplicate check is not what keeps the account clean
    x.fault("POST /2/tweets", "created_drop")
    for _ in range(4):
        x.fault("GET /2/users/:id/tweets", "403")  # a tier without reads
    with pytest.raises(PublishError) as err:
        publisher(x, clock).publish(thread, ledger)
    assert err.value.retryable and "could not be read" in str(err.value)
    assert len(x.posts) == 1 and x.hits("POST /2/tweets") == 1
    x.faults.clear()  # reads work again: the next run finds post 1 and finishes the thread
    assert publisher(x, clock).publish(thread, ledger).complete
    assert_one_thread(x)
    assert x.hits("POST /2/tweets") == 3


@pytest.fixture(params=["json", "sqlite", "postgres"])
def any_ledger(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[Any]:
    """The ledger in a JSON file, and the store's on SQLite and on PostgreSQL, all on the fake clock."""
    if request.param == "json":
        yield JSONLedger(tmp_path / "ledger.json", now=clock.time)
        return
    from bot.core import settings as config
    from bot.state.store import Store

    urls = iter([f"sqlite:///{tmp_path / 'bot.db'}"]) if request.param == "sqlite" else fresh_postgres()
    url = next(urls)
    store = Store.open(url, config.load({}, dotenv=None))
    thread = make_thread()
    store.upsert_entries("F", [thread.article.entry], "new", clock.time())
    yield store.ledger("F", thread.article.entry.key, now=clock.time)
    store.close()
    for _ in urls:  # drops the PostgreSQL database
        pass


@pytest.mark.parametrize("lands_after", [3.0, 29.0])
def test_a_post_still_in_flight_when_its_process_died_is_not_sent_again(
        x: XServer, clock: FakeClock, any_ledger: Any, thread: Any, lands_after: float) -> None:
    """Posts 1-2 are on X; post 3 was sent by a process that died, and X makes it `lands_after` s after the pending
    mark. The rerun starts at once: the first look finds nothing, and sending then would make a second copy."""
    x.filter_duplicates = False
    pub = publisher(x, clock)
    posted = pub.publish(make_thread(TEXTS[:2], image=thread.image.path), any_ledger)
    any_ledger.pending(3)
    x.posts.append({"id": "1999", "text": TEXTS[2], "author_id": "1000", "created": clock.time() + lands_after,
                    "reply_to": posted.published[1].tweet_id, "quote_of": None, "media_ids": []})
    clock.sleep(0.5)  # the rerun, half a second later
    again = publisher(x, clock).publish(thread, any_ledger)
    assert again.complete and again.published[2].tweet_id == "1999"
    assert [p["text"] for p in x.posts] == list(TEXTS) and x.hits("POST /2/tweets") == 2
    assert x.hits("GET /2/users/:id/tweets") >= 2  # looked at once, then again with backoff until it had landed
    assert any_ledger.done()[3].tweet_id == "1999" and not any_ledger.pending_positions()


def test_a_shutdown_before_the_first_post_sends_nothing(
        x: XServer, clock: FakeClock, ledger: JSONLedger, thread: Any) -> None:
    settings = settings_for(x.url, CREDENTIALS)
    pub = XPublisher(XClient(settings, settings.secrets, clock), settings, clock, should_stop=lambda: True)
    posted = pub.publish(thread, ledger)
    assert not posted.complete and posted.published == () and "post 1" in posted.notes[0]
    assert x.requests == []  # not even the image was uploaded


def test_a_rate_limit_wait_ends_at_a_shutdown(x: XServer, clock: FakeClock, ledger: JSONLedger, thread: Any) -> None:
    x.fault("POST /2/tweets", "ok")
    x.fault("POST /2/tweets", "429", reset_in=600)  # a 10-minute wait for post 2
    settings = settings_for(x.url, CREDENTIALS)
    stop_at = clock.time() + 3  # SIGTERM 3 s into the wait
    stopping = lambda: clock.time() >= stop_at  # noqa: E731
    pub = XPublisher(XClient(settings, settings.secrets, clock, should_stop=stopping), settings, clock,
                     should_stop=stopping)
    with pytest.raises(RateLimited) as err:
        pub.publish(thread, ledger)
    assert err.value.retryable and err.value.reset_at
    assert 3 <= sum(clock.slept) <= 4 and len(x.posts) == 1  # the wait ended within a second of the stop
