"""One entry's posts on one network, kept in the store's `tweets` table (keyed by entry, network, position).

The Ledger protocol of networks/base.py, in the database: every write is committed before the call returns,
so a post's id is durable before the next post goes out, and a pending mark before its request does.

The pending mark is also the fence (the design notes, "Claims and leases"): a ledger opened under a `Claim` proves, in the
transaction that writes the mark, that its process still holds the entry's claim with the same fencing token, and
raises ClaimLost otherwise, before anything is sent. Every network marks each post pending through this ledger
before its request goes out, so no network can send on a claim its process no longer holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.core.errors import ClaimLost
from bot.core.records import PRIMARY, PublishedTweet
from bot.state.database import Database
from bot.state.database import guard as _guard

DEFAULT = "default"  # the implicit publication's account (core.settings.DEFAULT), as the migration of v8 names it


@dataclass(frozen=True, slots=True)
class Claim:
    """An entry's claim as its holder knows it: the owner, the fencing token the database gave it, the lease."""

    owner: str
    token: int
    lease: float


class StoreLedger:
    """One entry's posts on one network in the database: each write is committed before the call returns."""

    def __init__(self, store: Database, feed: str, key: str, now: Callable[[], float], network: str = PRIMARY,
                 claim: Claim | None = None, account: str = DEFAULT) -> None:
        self.store, self.feed, self.key, self.now, self.network = store, feed, key, now, network
        self.account = account  # exactly once is per entry, network, account and position
        self.claim = claim  # None: no fence (read-only uses: history, the review page)
        self.lost = False  # set when the claim's heartbeat found it lost: a publisher's waits end at once

    @_guard
    def done(self) -> dict[int, PublishedTweet]:
        """Positions already posted on this network, with their ids, media ids and refs."""
        rows = self.store._run("""SELECT position, tweet_id, media_id, ref FROM tweets WHERE feed = :f AND entry_key = :k
                                  AND network = :w AND account = :a AND tweet_id IS NOT NULL""", f=self.feed, k=self.key, w=self.network, a=self.account)
        return {r["position"]: PublishedTweet(r["position"], r["tweet_id"], r["media_id"] or "", self.network, r["ref"] or "") for r in rows}

    @_guard
    def record(self, tweet: PublishedTweet, text: str = "") -> None:
        """Store a posted post's id (durable on return)."""
        self.store._exec(
            """INSERT INTO tweets (feed, entry_key, network, account, position, text, tweet_id, media_id, ref, posted_at)
               VALUES (:f, :k, :w, :a, :p, :t, :i, :m, :r, :n) ON CONFLICT (feed, entry_key, network, account, position) DO UPDATE
               SET tweet_id = :i, media_id = :m, ref = :r, posted_at = :n, pending_at = NULL, text = CASE WHEN :t = '' THEN tweets.text ELSE :t END""",
            f=self.feed, k=self.key, w=self.network, a=self.account, p=tweet.position, t=text, i=tweet.tweet_id, m=tweet.media_id, r=tweet.ref, n=self.now())

    @_guard
    def pending(self, position: int) -> None:
        """Mark that a request for this position is about to go out; under a claim, prove it first (ClaimLost).

        The proof and the mark are one transaction: the claim's row is updated (its lease renewed) only while it
        still names this owner and token, and on PostgreSQL that row stays locked until the mark commits, so a
        take-over either comes after the mark (and sees it) or before the proof (and the proof fails)."""
        from sqlalchemy import text

        now = self.now()
        with self.store.engine.begin() as conn:
            if self.claim is not None:
                held = conn.execute(text(
                    """UPDATE entries SET lease_until = :u WHERE feed = :f AND key = :k AND claimed_by = :o
                       AND claim_token = :t RETURNING key"""),
                    dict(u=now + self.claim.lease, f=self.feed, k=self.key, o=self.claim.owner, t=self.claim.token)).first()
                if held is None:
                    raise ClaimLost(f"lost the claim on this entry before post {position} ({self.network}): another "
                                    "bot process took it over after this one's lease ran out (store.lease_seconds); "
                                    "stopped, and sent nothing more")
            conn.execute(text(
                """INSERT INTO tweets (feed, entry_key, network, account, position, pending_at) VALUES (:f, :k, :w, :a, :p, :n)
                   ON CONFLICT (feed, entry_key, network, account, position) DO UPDATE SET pending_at = :n"""),
                dict(f=self.feed, k=self.key, w=self.network, a=self.account, p=position, n=now))

    @_guard
    def refused(self, position: int) -> None:
        """The network refused this position's request (a 429: nothing made), so it is pending no more; durable on return."""
        self.store._exec("""UPDATE tweets SET pending_at = NULL WHERE feed = :f AND entry_key = :k AND network = :w
                            AND account = :a AND position = :p AND tweet_id IS NULL""", f=self.feed, k=self.key,
                         w=self.network, a=self.account, p=position)

    def pending_positions(self) -> set[int]:
        """Positions whose request went out with no recorded answer."""
        return set(self.pending_times())

    @_guard
    def pending_times(self) -> dict[int, float]:
        """Positions whose request went out with no recorded answer, with when each was marked pending."""
        rows = self.store._run("""SELECT position, pending_at FROM tweets WHERE feed = :f AND entry_key = :k AND network = :w
                                  AND account = :a AND tweet_id IS NULL AND pending_at IS NOT NULL""", f=self.feed,
                               k=self.key, w=self.network, a=self.account)
        return {r["position"]: float(r["pending_at"]) for r in rows}


# Accounts and feeds beyond one entry: what the daemon's spacing and daily cap read, and the feed claims that let
# several workers share one database.

def account_threads(store: Database, network: str, account: str, since: float) -> tuple[int, float | None]:
    """Threads whose first post went out on this network account since an epoch second, and when the latest did."""
    rows = store._run("""SELECT COUNT(*) AS n, MAX(posted_at) AS last FROM tweets WHERE network = :w AND account = :a
                         AND position = 1 AND posted_at >= :t AND tweet_id IS NOT NULL""", w=network, a=account, t=since)
    last = rows[0]["last"]
    return int(rows[0]["n"]), (float(last) if last is not None else None)


def claim_feed(store: Database, url: str, publication: str, owner: str, lease: float, now: float) -> bool:
    """Take the feed for one poll unless another live worker holds it; the database decides who wins.

    On PostgreSQL the row is taken with SELECT … FOR UPDATE SKIP LOCKED (the design notes): a worker never waits on
    another's claim, it goes on to its next feed. SQLite has one writer at a time, so the conditional UPDATE alone
    decides there. A claim left by a dead worker runs out with its lease."""
    free = "(claimed_by IS NULL OR lease_until < :n OR claimed_by = :o)"
    if store.engine.dialect.name == "postgresql":
        where = f"url = (SELECT url FROM feeds WHERE url = :u AND {free} FOR UPDATE SKIP LOCKED)"
    else:
        where = f"url = :u AND {free}"
    won = store._run(f"UPDATE feeds SET claimed_by = :o, lease_until = :l, publication = :p WHERE {where} RETURNING url",
                     u=url, o=owner, l=now + lease, n=now, p=publication)
    if won:
        return True
    # A feed never polled has no row yet: whoever inserts it holds it (RETURNING says who: the design notes).
    return bool(store._run("""INSERT INTO feeds (url, publication, claimed_by, lease_until) VALUES (:u, :p, :o, :l)
                              ON CONFLICT (url) DO NOTHING RETURNING url""", u=url, p=publication, o=owner, l=now + lease))


def release_feed(store: Database, url: str, owner: str) -> None:
    """Give the feed's claim up after its poll (only while this worker still holds it)."""
    store._exec("UPDATE feeds SET claimed_by = NULL, lease_until = NULL WHERE url = :u AND claimed_by = :o", u=url, o=owner)


def posted(store: Database, feed: str, key: str, network: str) -> dict[int, PublishedTweet]:
    """What one entry has on one network, whatever the account (read-only: the review page, `bot drafts`)."""
    rows = store._run("""SELECT position, tweet_id, media_id, ref, account FROM tweets WHERE feed = :f AND entry_key = :k
                         AND network = :w AND tweet_id IS NOT NULL ORDER BY position""", f=feed, k=key, w=network)
    return {r["position"]: PublishedTweet(r["position"], r["tweet_id"], r["media_id"] or "", network, r["ref"] or "")
            for r in rows}
