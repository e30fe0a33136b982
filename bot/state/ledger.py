"""One entry's posts on one network, kept in the store's `tweets` table (keyed by entry, network, position).

The Ledger protocol of networks/base.py, in the database: every write is committed before the call returns,
so a post's id is durable before the next post goes out, and a pending mark before its request does.
"""

from __future__ import annotations

from typing import Any, Callable

from bot.core.records import PublishedTweet
from bot.state.database import guard as _guard


class StoreLedger:
    """One entry's posts on one network in the database: each write is committed before the call returns."""

    def __init__(self, store: Any, feed: str, key: str, now: Callable[[], float], network: str = "x") -> None:
        self.store, self.feed, self.key, self.now, self.network = store, feed, key, now, network

    @_guard
    def done(self) -> dict[int, PublishedTweet]:
        """Positions already posted on this network, with their ids, media ids and refs."""
        rows = self.store._run("""SELECT position, tweet_id, media_id, ref FROM tweets WHERE feed = :f AND entry_key = :k
                                  AND network = :w AND tweet_id IS NOT NULL""", f=self.feed, k=self.key, w=self.network)
        return {r["position"]: PublishedTweet(r["position"], r["tweet_id"], r["media_id"] or "", self.network, r["ref"] or "") for r in rows}

    @_guard
    def record(self, tweet: PublishedTweet, text: str = "") -> None:
        """Store a posted post's id (durable on return)."""
        self.store._exec(
            """INSERT INTO tweets (feed, entry_key, network, position, text, tweet_id, media_id, ref, posted_at)
               VALUES (:f, :k, :w, :p, :t, :i, :m, :r, :n) ON CONFLICT (feed, entry_key, network, position) DO UPDATE
               SET tweet_id = :i, media_id = :m, ref = :r, posted_at = :n, pending_at = NULL, text = CASE WHEN :t = '' THEN tweets.text ELSE :t END""",
            f=self.feed, k=self.key, w=self.network, p=tweet.position, t=text, i=tweet.tweet_id, m=tweet.media_id, r=tweet.ref, n=self.now())

    @_guard
    def pending(self, position: int) -> None:
        """Mark that a request for this position is about to go out."""
        self.store._exec(
            """INSERT INTO tweets (feed, entry_key, network, position, pending_at) VALUES (:f, :k, :w, :p, :n)
               ON CONFLICT (feed, entry_key, network, position) DO UPDATE SET pending_at = :n""",
            f=self.feed, k=self.key, w=self.network, p=position, n=self.now())

    def pending_positions(self) -> set[int]:
        """Positions whose request went out with no recorded answer."""
        return set(self.pending_times())

    @_guard
    def pending_times(self) -> dict[int, float]:
        """Positions whose request went out with no recorded answer, with when each was marked pending."""
        rows = self.store._run("""SELECT position, pending_at FROM tweets WHERE feed = :f AND entry_key = :k AND network = :w
                                  AND tweet_id IS NULL AND pending_at IS NOT NULL""", f=self.feed, k=self.key, w=self.network)
        return {r["position"]: float(r["pending_at"]) for r in rows}
