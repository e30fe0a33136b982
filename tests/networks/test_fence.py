"""Exactly once under a live holder (issue 19), in one process on the fake clock: the claim's fencing token in the
store, a publisher whose claim is taken while it waits on a 429, and a post that X's timeline shows late."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dbs import fresh_postgres
from helpers import on_x
from helpers.xkit import TEXTS, make_thread, png, settings_for
from twins.xserver import CREDENTIALS, XServer

from bot.core import settings as config
from bot.core.clock import FakeClock
from bot.core.errors import ClaimLost
from bot.core.records import Plan, PublishedTweet, SavedThread
from bot.networks.x.client import XClient
from bot.networks.x.thread import XPublisher
from bot.state.ledger import Claim
from bot.state.store import Store

FEED, LEASE = "F", 600.0


class HookedClock(FakeClock):
    """The fake clock, running `then()` once when a sleep first carries it past `at` (another process acting while
    this one waits)."""

    def __init__(self) -> None:
        super().__init__()
        self.hooks: list[tuple[float, Callable[[], None]]] = []

    def at(self, when: float, then: Callable[[], None]) -> None:
        self.hooks.append((when, then))

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        due = [h for h in self.hooks if self.t >= h[0]]
        self.hooks = [h for h in self.hooks if self.t < h[0]]
        for _, then in due:
            then()


@pytest.fixture
def hooked() -> HookedClock:
    return HookedClock()


@pytest.fixture
def x(hooked: HookedClock) -> Iterator[XServer]:
    with XServer(clock=hooked.time) as server:
        server.filter_duplicates = False  # a second copy of a post would be on X for the test to see
        yield server


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    urls = iter([f"sqlite:///{tmp_path / 'bot.db'}"]) if request.param == "sqlite" else fresh_postgres()
    s = Store.open(next(urls), config.load({}, dotenv=None))
    yield s
    s.close()
    next(urls, None)


def publisher(x: XServer, clock: FakeClock, **options: Any) -> XPublisher:
    settings = settings_for(x.url, CREDENTIALS, **options)
    return XPublisher(XClient(settings, settings.secrets, clock), settings, clock)


def test_a_claim_taken_over_fences_its_old_holder(store: Store) -> None:
    thread = make_thread()
    key = thread.article.entry.key
    store.upsert_entries(FEED, [thread.article.entry], "new", 0.0)
    a = Claim("host-a:1:aaaa", store.claim(FEED, key, "host-a:1:aaaa", LEASE, 0.0), LEASE)
    assert a.token >= 1
    assert not store.claim(FEED, key, "host-b:2:bbbb", LEASE, 100.0)  # A's lease holds
    b = Claim("host-b:2:bbbb", store.claim(FEED, key, "host-b:2:bbbb", LEASE, 700.0), LEASE)  # run out: B takes it
    assert b.token > a.token
    old = store.ledger(FEED, key, now=lambda: 701.0, claim=a)
    with pytest.raises(ClaimLost):
        old.pending(2)
    assert old.pending_positions() == set()  # the mark was not written: nothing may go out
    assert not store.renew(FEED, key, a, 702.0)  # a lost claim is never renewed back
    with pytest.raises(ClaimLost):
        store.save_plan(FEED, key, Plan({"x": SavedThread(280)}), claim=a)
    store.ledger(FEED, key, now=lambda: 703.0, claim=b).pending(2)  # the holder marks and sends
    assert store.renew(FEED, key, b, 704.0)
    assert not store.release(FEED, key, a.owner, "failed", 705.0, error="late", token=a.token)
    assert store.release(FEED, key, b.owner, "posted", 706.0, token=b.token)
    row = store.entry(FEED, key) or {}
    assert (row["status"], row["last_error"], row["claimed_by"]) == ("posted", "", None)


def test_a_publisher_whose_claim_is_taken_during_a_429_wait_sends_nothing_more(
        x: XServer, hooked: HookedClock, store: Store, tmp_path: Path) -> None:
    thread = make_thread(image=png(tmp_path / "card.png"))
    key = thread.article.entry.key
    store.upsert_entries(FEED, [thread.article.entry], "new", hooked.time())
    a = Claim("host-a:1:aaaa", store.claim(FEED, key, "host-a:1:aaaa", LEASE, hooked.time()), LEASE)
    x.fault("POST /2/tweets", "ok")
    x.fault("POST /2/tweets", "429", reset_in=700)  # A's post 2: a reset after A's lease (no heartbeat here)
    finished: list[Any] = []

    def b_takes_over() -> None:  # B, its clock past A's lease, claims the entry and finishes the thread
        token = store.claim(FEED, key, "host-b:2:bbbb", LEASE, hooked.time())
        assert token, "A's lease ran out: B may take the claim"
        ledger = store.ledger(FEED, key, now=hooked.time, claim=Claim("host-b:2:bbbb", token, LEASE))
        finished.append(publisher(x, hooked, x__confirm_horizon=5.0).publish(thread, ledger))

    hooked.at(hooked.time() + LEASE + 10, b_takes_over)
    with pytest.raises(ClaimLost):
        publisher(x, hooked, x__confirm_horizon=5.0).publish(thread, store.ledger(FEED, key, now=hooked.time, claim=a))
    assert finished and finished[0].complete
    posts = on_x.assert_one_thread(x, TEXTS, alt="A blue title card")
    assert {p: t.tweet_id for p, t in store.ledger(FEED, key).done().items()} == {1: posts[0]["id"], 2: posts[1]["id"],
                                                                                  3: posts[2]["id"]}


@pytest.mark.parametrize("late", [30.0, 240.0])
def test_a_post_x_shows_late_is_adopted_not_sent_again(x: XServer, hooked: HookedClock, tmp_path: Path,
                                                         late: float) -> None:
    from helpers.json_ledger import JSONLedger

    x.visible_after = late  # X made post 2 at once but shows it in the timeline only `late` s later
    x.fault("POST /2/tweets", "ok")
    x.fault("POST /2/tweets", "created_drop")
    thread = make_thread(image=png(tmp_path / "card.png"))
    # x.timeout = 10 s: its request has surely landed (or failed) 15 s after it went out, but X may show it later
    posted = publisher(x, hooked, x__timeout=10.0).publish(thread, JSONLedger(tmp_path / "ledger.json", now=hooked.time))
    assert posted.complete and x.hits("POST /2/tweets") == 3  # post 2 was never sent again
    x.visible_after = 0
    on_x.assert_one_thread(x, TEXTS, alt="A blue title card")


def test_past_the_horizon_a_post_not_shown_is_sent_again(x: XServer, hooked: HookedClock, tmp_path: Path) -> None:
    """What the README says happens past x.confirm_horizon: the post is taken as never made, and sent again."""
    from helpers.json_ledger import JSONLedger

    x.fault("POST /2/tweets", "ok")
    x.fault("POST /2/tweets", "drop")  # never made
    start = hooked.time()
    thread = make_thread(image=png(tmp_path / "card.png"))
    ledger = JSONLedger(tmp_path / "ledger.json", now=hooked.time)
    assert publisher(x, hooked, x__confirm_horizon=120.0).publish(thread, ledger).complete
    assert x.hits("POST /2/tweets") == 4 and hooked.time() - start >= 120
    assert x.hits("GET /2/users/:id/tweets") >= 4  # looked for with backoff, not once or twice
    on_x.assert_one_thread(x, TEXTS, alt="A blue title card")
    assert ledger.done()[2] == PublishedTweet(2, x.posts[1]["id"])


def test_every_network_is_fenced_mastodon_too(store: Store, hooked: HookedClock, tmp_path: Path) -> None:
    """The fence sits in the ledger's pending mark, so a network with its own idempotency (Mastodon's key) is fenced
    as well: once another process holds the entry, not one more status goes out."""
    import dataclasses

    from twins.mastodonserver import TOKEN, MastodonServer

    from bot.core.records import NetworkThread, Tweet
    from bot.networks.mastodon.thread import MastodonPublisher

    thread = make_thread(image=png(tmp_path / "card.png"))
    thread = dataclasses.replace(thread, networks=(NetworkThread("mastodon", tuple(Tweet(t, len(t)) for t in TEXTS),
                                                                 500),))
    key = thread.article.entry.key
    store.upsert_entries(FEED, [thread.article.entry], "new", hooked.time())
    a = Claim("host-a:1:aaaa", store.claim(FEED, key, "host-a:1:aaaa", LEASE, hooked.time()), LEASE)
    with MastodonServer(clock=hooked.time) as masto:
        settings = settings_for("http://127.0.0.1:9", {"MASTODON_ACCESS_TOKEN": TOKEN, "MASTODON_BASE_URL": masto.url})
        ledger = store.ledger(FEED, key, now=hooked.time, network="mastodon", claim=a)
        original = ledger.record

        def record_then_lose(tweet: PublishedTweet, text: str = "") -> None:  # B takes the claim after status 1
            original(tweet, text)
            assert store.claim(FEED, key, "host-b:2:bbbb", LEASE, hooked.time() + LEASE + 1)

        ledger.record = record_then_lose  # type: ignore[method-assign]
        with pytest.raises(ClaimLost):
            MastodonPublisher(settings, hooked).publish(thread, ledger)
        assert [s["text"] for s in masto.statuses] == [TEXTS[0]]


def test_a_wait_ends_as_soon_as_the_claim_is_known_lost(x: XServer, hooked: HookedClock, store: Store,
                                                       tmp_path: Path) -> None:
    """The heartbeat (run/lease.py) marks the ledger lost when a renewal is refused: a 429 wait of 700 s ends then,
    not at the reset."""
    thread = make_thread(image=png(tmp_path / "card.png"))
    key = thread.article.entry.key
    store.upsert_entries(FEED, [thread.article.entry], "new", hooked.time())
    a = Claim("host-a:1:aaaa", store.claim(FEED, key, "host-a:1:aaaa", LEASE, hooked.time()), LEASE)
    ledger = store.ledger(FEED, key, now=hooked.time, claim=a)
    x.fault("POST /2/tweets", "ok")
    x.fault("POST /2/tweets", "429", reset_in=700)
    start = hooked.time()
    hooked.at(start + 10, lambda: setattr(ledger, "lost", True))
    with pytest.raises(ClaimLost):
        publisher(x, hooked).publish(thread, ledger)
    assert hooked.time() - start < 15 and len(x.posts) == 1


def test_a_mastodon_status_waiting_out_a_429_is_fenced_again(store: Store, hooked: HookedClock, tmp_path: Path) -> None:
    """Mastodon's client waits out a short 429 itself and sends the status again: that second send is proved too, so a
    process whose claim was taken during the wait sends nothing (a server without Idempotency-Key would post twice)."""
    import dataclasses

    from twins.mastodonserver import TOKEN, MastodonServer

    from bot.core.records import NetworkThread, Tweet
    from bot.networks.mastodon.thread import MastodonPublisher

    thread = make_thread(image=png(tmp_path / "card.png"))
    thread = dataclasses.replace(thread, networks=(NetworkThread("mastodon", tuple(Tweet(t, len(t)) for t in TEXTS),
                                                                 500),))
    key = thread.article.entry.key
    store.upsert_entries(FEED, [thread.article.entry], "new", hooked.time())
    a = Claim("host-a:1:aaaa", store.claim(FEED, key, "host-a:1:aaaa", LEASE, hooked.time()), LEASE)
    with MastodonServer(clock=hooked.time) as masto:
        settings = settings_for("http://127.0.0.1:9", {"MASTODON_ACCESS_TOKEN": TOKEN, "MASTODON_BASE_URL": masto.url})
        ledger = store.ledger(FEED, key, now=hooked.time, network="mastodon", claim=a)
        masto.fault("POST /api/v1/statuses", "")
        masto.fault("POST /api/v1/statuses", "429")  # status 2: the reset is 30 s away
        start = hooked.time()
        hooked.at(start + 10, lambda: store.claim(FEED, key, "host-b:2:bbbb", LEASE, hooked.time() + LEASE + 1))
        with pytest.raises(ClaimLost):
            MastodonPublisher(settings, hooked).publish(thread, ledger)
        assert [s["text"] for s in masto.statuses] == [TEXTS[0]]


def test_a_mastodon_429_wait_ends_when_the_claim_is_known_lost(store: Store, hooked: HookedClock, tmp_path: Path) -> None:
    """The heartbeat marks the ledger lost: the Mastodon client's 429 wait ends then (ClaimLost), not at the reset."""
    import dataclasses

    from twins.mastodonserver import TOKEN, MastodonServer

    from bot.core.records import NetworkThread, Tweet
    from bot.networks.mastodon.thread import MastodonPublisher

    thread = make_thread(image=png(tmp_path / "card.png"))
    thread = dataclasses.replace(thread, networks=(NetworkThread("mastodon", tuple(Tweet(t, len(t)) for t in TEXTS),
                                                                 500),))
    key = thread.article.entry.key
    store.upsert_entries(FEED, [thread.article.entry], "new", hooked.time())
    a = Claim("host-a:1:aaaa", store.claim(FEED, key, "host-a:1:aaaa", LEASE, hooked.time()), LEASE)
    with MastodonServer(clock=hooked.time) as masto:
        settings = settings_for("http://127.0.0.1:9", {"MASTODON_ACCESS_TOKEN": TOKEN, "MASTODON_BASE_URL": masto.url})
        ledger = store.ledger(FEED, key, now=hooked.time, network="mastodon", claim=a)
        masto.fault("POST /api/v1/statuses", "")
        masto.fault("POST /api/v1/statuses", "429")  # status 2: the reset is 30 s away
        start = hooked.time()
        hooked.at(start + 10, lambda: setattr(ledger, "lost", True))
        with pytest.raises(ClaimLost):
            MastodonPublisher(settings, hooked).publish(thread, ledger)
        assert hooked.time() - start < 15 and len(masto.statuses) == 1
