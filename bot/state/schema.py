"""The database schema as numbered, append-only migrations, applied when the store opens.

Plain SQL that SQLite (>= 3.35) and PostgreSQL both accept; times are UTC epoch seconds, so
comparisons are plain arithmetic on either database.
"""

from __future__ import annotations

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
}
RETRYABLE = frozenset(STATUSES) - {"new", "posted"}  # what `bot retry ENTRY` resets to new
# What the poller takes up again by itself once next_attempt has come (and attempts are left).
RESUMABLE = ("failed", "partial", "waiting")

# Append only: never edit a released migration; add the next number.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
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
)

LATEST = MIGRATIONS[-1][0]
