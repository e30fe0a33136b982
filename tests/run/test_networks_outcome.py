"""What becomes of an entry when some networks posted and others failed: a network that can still be finished is
tried again later, whatever failed for good beside it (the next attempt posts only what each network lacks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.core import settings as config
from bot.core.clock import FakeClock
from bot.core.errors import NoAnswer, PublishError
from bot.core.records import Entry, Image, PostedThread, PublishedTweet, Thread
from bot.networks.bluesky.length import COUNTER as BLUESKY
from bot.networks.mastodon.length import COUNTER as MASTODON
from bot.networks.x.length import COUNTER as X
from bot.run.pipeline import Deps
from bot.run.publishing import publish_entry
from bot.state.store import Store
from bot.tweets.length import Counter
from bot.writing.offline import ExtractiveWriter

HTML = ("<p>Small newsletters win because readers trust a voice they know. Open rates stay high under two "
        "thousand readers. Regulars matter more than reach, and the economics favour the loyal few.</p>")


class NoImage:
    calls: list[Any] = []

    def make(self, article: Any, prompt: str, alt_text: str, out_dir: Path) -> Image:
        return Image(None)


class Net:
    """A network that posts the whole thread, or fails with `error` (counting its attempts)."""

    def __init__(self, network: str, counter: Counter, error: Exception | None = None) -> None:
        self.network, self._counter, self.error, self.attempts = network, counter, error, 0

    def counter(self) -> Counter:
        return self._counter

    def publish(self, thread: Thread, ledger: Any, budget: Any = None) -> PostedThread:
        self.attempts += 1
        if self.error is not None:
            raise self.error
        posts = tuple(PublishedTweet(n, f"{self.network}-{n}", network=self.network)
                      for n in range(1, len(thread.for_network(self.network).tweets) + 1))
        for post in posts:
            ledger.record(post)
        return PostedThread(thread, posts, complete=True)


def test_a_network_failing_for_now_is_retried_though_another_was_refused_for_good(tmp_path: Path) -> None:
    settings = config.load({"BOT_STORE_SQLITE_PATH": str(tmp_path / "bot.db"),
                            "BOT_NETWORKS": "x,bluesky,mastodon"}, dotenv=None)
    store = Store.open(f"sqlite:///{tmp_path / 'bot.db'}", settings)
    clock = FakeClock()
    x = Net("x", X)
    bluesky = Net("bluesky", BLUESKY, PublishError("Bluesky refused posting: InvalidRequest", retryable=False))
    mastodon = Net("mastodon", MASTODON, NoAnswer("Mastodon answered 503 while posting a status"))
    deps = Deps(settings, ExtractiveWriter(), NoImage(), x, clock, store=store, publishers=(x, bluesky, mastodon))
    entry = Entry("F", "/p/small", "https://quietindex.org/p/small", "https://quietindex.org/p/small",
                  "Why small newsletters win", html=HTML)
    try:
        publish_entry(entry, "F", deps, tmp_path)  # X posted: nothing is raised
        row = store.entry("F", entry.key) or {}
        assert row["status"] != "rejected", row  # Mastodon's thread would never be finished
        assert row["next_attempt"] is not None and row["next_attempt"] > clock.time()
        assert "Mastodon" in row["last_error"] and "Bluesky" in row["last_error"]
    finally:
        store.close()
