"""The database schema as numbered, append-only migrations, applied when the store opens.

Plain SQL that SQLite (>= 3.35) and PostgreSQL both accept; times are UTC epoch seconds, so
comparisons are plain arithmetic on either database.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, NotRequired, TypedDict

from bot.core.records import upgrade_plan

if TYPE_CHECKING:
    from sqlalchemy import Connection

# An entry's status, as poller.py and publishing.py set it:
STATUSES = {
    "new": "seen after the first poll; to be posted",
    "skipped": "in the feed at its first poll; recorded, not posted (daemon.backlog = skip)",
    "posted": "the whole thread is on X",
    "partial": "some tweets are on X, the rest not yet (a shutdown stopped it): finished on the next poll",
    "waiting": "X's post budget or rate limit is used up: tried again when it frees, no attempt used",
    "truncated": "X refused a reply and x.reply_fallback = stop: reported, resumable with `bot retry`",
    "failed": "an attempt failed; retried after a backoff until daemon.max_attempts",
    "duplicate": "X said the text was already posted",
    "rejected": "X refused the thread for good (not retryable)",
    "gone": "no longer in the feed when its turn came",
    "draft": "prepared and waiting for review (review.mode = approve): `bot drafts` or the web page",
    "scheduled": "approved in review: published at next_attempt (at once, or `bot drafts approve --at`)",
    "declined": "rejected in review: never posted and never prepared again",
}
# What `bot retry ENTRY` resets to new; a draft's fate is decided in review, never by a retry.
RETRYABLE = frozenset(STATUSES) - {"new", "posted", "draft", "scheduled", "declined"}
# What the poller takes up again by itself once next_attempt has come (and attempts are left).
RESUMABLE = ("failed", "partial", "waiting", "scheduled")
# A draft's review state (drafts.state), as thread.json and `bot history` show it.
DRAFT_STATES = ("draft", "approved", "scheduled", "rejected", "posted")

# Append only: never edit a released migration; add the next number.


def _plans_v7(conn: Connection) -> None:
    """Every saved plan in the shape of v7: each network's thread under `threads`, X's no longer a top-level
    `tweets` (core.records.upgrade_plan), so a plan saved before the upgrade resumes with exactly its text."""
    from sqlalchemy import text

    rows = conn.execute(text("SELECT feed, key, plan FROM entries WHERE plan IS NOT NULL")).all()
    for feed, key, plan in rows:
        data = json.loads(plan)
        if isinstance(data, dict) and "tweets" in data:
            conn.execute(text("UPDATE entries SET plan = :p WHERE feed = :f AND key = :k"),
                         {"p": json.dumps(upgrade_plan(data), ensure_ascii=False), "f": feed, "k": key})


# A step is SQL, or (rarely) a function given the migration's connection, for what SQL cannot say on both databases.
MIGRATIONS: tuple[tuple[int, tuple[str | Callable[[Connection], None], ...]], ...] = (
    (1, (
        """CREATE TABLE feeds (
            url TEXT PRIMARY KEY,
            etag TEXT NOT NULL DEFAULT '',
            last_modified TEXT NOT NULL DEFAULT '',
            last_poll DOUBLE PRECISION,
            first_poll_done INTEGER NOT NULL DEFAULT 0)""",
        """CREATE TABLE entries (
            feed TEXT NOT NULL,
            key TEXT NOT NULL,
            guid TEXT NOT NULL DEFAULT '',
            link TEXT NOT NULL DEFAULT '',
            title TEXT NOT NULL DEFAULT '',
            published DOUBLE PRECISION,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt DOUBLE PRECISION,
            last_error TEXT NOT NULL DEFAULT '',
            claimed_by TEXT,
            lease_until DOUBLE PRECISION,
            plan TEXT,
            cost DOUBLE PRECISION,
            created_at DOUBLE PRECISION NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (feed, key))""",
        "CREATE INDEX entries_status ON entries (status, next_attempt)",
        """CREATE TABLE tweets (
            feed TEXT NOT NULL,
            entry_key TEXT NOT NULL,
            position INTEGER NOT NULL,
            text TEXT NOT NULL DEFAULT '',
            tweet_id TEXT,
            media_id TEXT NOT NULL DEFAULT '',
            posted_at DOUBLE PRECISION,
            pending_at DOUBLE PRECISION,
            PRIMARY KEY (feed, entry_key, position))""",
        "CREATE INDEX tweets_posted_at ON tweets (posted_at)",
        """CREATE TABLE model_calls (
            feed TEXT NOT NULL,
            entry_key TEXT NOT NULL,
            backend TEXT NOT NULL,
            model TEXT NOT NULL,
            purpose TEXT NOT NULL,
            outcome TEXT NOT NULL,
            latency_ms INTEGER NOT NULL DEFAULT 0,
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            at DOUBLE PRECISION NOT NULL)""",
    )),
    # Review (issue 13): one draft per entry; its thread is the entry's plan. `entry` keeps the entry as the
    # feed gave it (JSON), so a draft is checked, drawn and published without the feed.
    (2, (
        """CREATE TABLE drafts (
            id INTEGER PRIMARY KEY,
            feed TEXT NOT NULL,
            entry_key TEXT NOT NULL,
            state TEXT NOT NULL,
            entry TEXT NOT NULL,
            out_dir TEXT NOT NULL DEFAULT '',
            publish_at DOUBLE PRECISION,
            changed_via TEXT NOT NULL DEFAULT '',
            changed_by TEXT NOT NULL DEFAULT '',
            notified_at DOUBLE PRECISION,
            notify_error TEXT NOT NULL DEFAULT '',
            created_at DOUBLE PRECISION NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL,
            UNIQUE (feed, entry_key))""",
        "CREATE INDEX drafts_state ON drafts (state)",
        """CREATE TABLE draft_events (
            draft_id INTEGER NOT NULL,
            state TEXT NOT NULL,
            via TEXT NOT NULL,
            who TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT '',
            at DOUBLE PRECISION NOT NULL)""",
    )),
    # One ledger per network: a post is keyed by entry, network and position. The table is rebuilt (SQLite cannot
    # change a primary key in place); every existing row was posted to X, so it becomes network 'x'.
    (3, (
        """CREATE TABLE tweets_v2 (
            feed TEXT NOT NULL,
            entry_key TEXT NOT NULL,
            network TEXT NOT NULL DEFAULT 'x',
            position INTEGER NOT NULL,
            text TEXT NOT NULL DEFAULT '',
            tweet_id TEXT,
            media_id TEXT NOT NULL DEFAULT '',
            ref TEXT NOT NULL DEFAULT '',
            posted_at DOUBLE PRECISION,
            pending_at DOUBLE PRECISION,
            PRIMARY KEY (feed, entry_key, network, position))""",
        """INSERT INTO tweets_v2 (feed, entry_key, network, position, text, tweet_id, media_id, posted_at, pending_at)
           SELECT feed, entry_key, 'x', position, text, tweet_id, media_id, posted_at, pending_at FROM tweets""",
        "DROP TABLE tweets",
        "ALTER TABLE tweets_v2 RENAME TO tweets",
        "CREATE INDEX tweets_network_posted_at ON tweets (network, posted_at)",
    )),
    # The review page's sign-ins (issue 19): a session cookie is good only while its row lives, so signing out
    # ends it on the server. `id` is the SHA-256 of the random id the cookie carries, never the id itself.
    (4, (
        """CREATE TABLE web_sessions (
            id TEXT PRIMARY KEY,
            created_at DOUBLE PRECISION NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL)""",
        "CREATE INDEX web_sessions_expires_at ON web_sessions (expires_at)",
    )),
    # Fencing (issue 19): every claim or take-over of an entry adds one to its claim_token, and a holder proves it
    # still holds the token in the same transaction that marks a post pending; a holder whose lease ran out and was
    # taken over holds an older token, so it can neither mark, send, renew nor record an outcome.
    (5, (
        "ALTER TABLE entries ADD COLUMN claim_token INTEGER NOT NULL DEFAULT 0",
    )),
    # Kept Bluesky sessions (issue 19): one per service and account, with the bot's other state (not a file in the
    # working folder, which a Heroku dyno loses daily). `session` holds tokens: a secret, never logged.
    (6, (
        """CREATE TABLE bluesky_sessions (
            service TEXT NOT NULL,
            account TEXT NOT NULL,
            session TEXT NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (service, account))""",
    )),
    # Typed plans (issue 20): a plan holds every network's thread the same way, under `threads` (X's was the
    # top-level `tweets`); thread.json's `tweets` is derived from it when the file is written.
    (7, (_plans_v7,)),
    # Publications and accounts (issue 21): an entry belongs to its feed's publication, and a post is keyed by entry,
    # network, account and position. Every existing row is the implicit publication's and was posted with the plain
    # credentials, so it becomes publication and account 'default': nothing is posted again. Feeds gain a claim (a
    # worker polls a feed only while it holds it: several `bot run` workers share one database).
    (8, (
        "ALTER TABLE entries ADD COLUMN publication TEXT NOT NULL DEFAULT 'default'",
        "CREATE INDEX entries_publication ON entries (publication, status)",
        "ALTER TABLE feeds ADD COLUMN publication TEXT NOT NULL DEFAULT 'default'",
        "ALTER TABLE feeds ADD COLUMN claimed_by TEXT",
        "ALTER TABLE feeds ADD COLUMN lease_until DOUBLE PRECISION",
        """CREATE TABLE tweets_v3 (
            feed TEXT NOT NULL,
            entry_key TEXT NOT NULL,
            network TEXT NOT NULL,
            account TEXT NOT NULL DEFAULT 'default',
            position INTEGER NOT NULL,
            text TEXT NOT NULL DEFAULT '',
            tweet_id TEXT,
            media_id TEXT NOT NULL DEFAULT '',
            ref TEXT NOT NULL DEFAULT '',
            posted_at DOUBLE PRECISION,
            pending_at DOUBLE PRECISION,
            PRIMARY KEY (feed, entry_key, network, account, position))""",
        """INSERT INTO tweets_v3 (feed, entry_key, network, account, position, text, tweet_id, media_id, ref, posted_at,
                                 pending_at)
           SELECT feed, entry_key, network, 'default', position, text, tweet_id, media_id, ref, posted_at, pending_at
           FROM tweets""",
        "DROP TABLE tweets",
        "ALTER TABLE tweets_v3 RENAME TO tweets",
        "CREATE INDEX tweets_account_posted_at ON tweets (network, account, posted_at)",
    )),
)

LATEST = MIGRATIONS[-1][0]


class FeedRow(TypedDict):
    """A row of `feeds` (Store.feed_state)."""

    url: str
    etag: str
    last_modified: str
    last_poll: float | None
    first_poll_done: int
    publication: str
    claimed_by: str | None
    lease_until: float | None


class EntryRow(TypedDict, total=False):
    """A row of `entries` as the store returns it (every column is there; total=False lets a caller read
    `(store.entry(...) or {}).get("attempts", 0)`)."""

    feed: str
    key: str
    guid: str
    link: str
    title: str
    published: float | None
    status: str
    attempts: int
    next_attempt: float | None
    last_error: str
    claimed_by: str | None
    lease_until: float | None
    plan: str | None
    cost: float | None
    created_at: float
    updated_at: float
    claim_token: int
    publication: str


class HistoryRow(TypedDict):
    """One entry as `bot history` and the web page's history show it (Store.history); the last three are added
    by those who show it."""

    feed: str
    key: str
    publication: str
    title: str
    link: str
    status: str
    attempts: int
    last_error: str
    published: float | None
    updated_at: float
    cost: float | None
    model_calls: int
    tweets: list[dict[str, object]]
    when: NotRequired[str]  # the web page: published or updated, as YYYY-MM-DD HH:MM
    links: NotRequired[list[tuple[str, str]]]  # the web page: (label, URL) of each post
    review: NotRequired[dict[str, object] | None]  # `bot history --json`: the entry's draft, if reviewed
