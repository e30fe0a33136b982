"""State in SQLite (default) or PostgreSQL (DATABASE_URL): feeds, entries, claims, posted tweets, model calls."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

from bot.core.errors import ClaimLost, StoreError, clip
from bot.core.records import PRIMARY, Entry, ModelCall, Plan, published_item
from bot.core.settings import Settings
from bot.state.database import check_same_file, make_folder, normalise_url, password_of, reason, safe_url, watched_file
from bot.state.database import guard as _guard
from bot.state.kept_sessions import KeptSessions
from bot.state.ledger import DEFAULT, Claim, StoreLedger
from bot.state.schema import LATEST, MIGRATIONS, RESUMABLE, RETRYABLE, EntryRow, FeedRow, HistoryRow

if TYPE_CHECKING:  # sqlalchemy is imported when a store opens, not when this module is
    from sqlalchemy import Engine, RowMapping
    from sqlalchemy.engine.interfaces import DBAPIConnection

_MIGRATION_LOCK = 7_262_001  # arbitrary, fixed: the advisory lock id that serialises migrations on Postgres


class Store:
    """The bot's state; every public method commits before it returns."""

    def __init__(self, engine: Engine, where: str, password: str = "") -> None:
        self.engine = engine
        self.where = where
        self.password = password
        self.file: Path | None = None  # the SQLite file, watched so a deleted one is noticed
        self.identity: tuple[int, int] | None = None  # its (device, inode) when opened

    def _watch(self) -> None:
        """Remember which file a SQLite store is, so that deleting or replacing it is noticed (check_file)."""
        self.file, self.identity = watched_file(self.engine)

    def check_file(self) -> None:
        """StoreGone when the SQLite file this store opened was deleted or replaced since."""
        check_same_file(self.file, self.identity)

    @property
    def store(self) -> Store:  # bot.state.database.guard asks each object it guards for its store
        return self

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @classmethod
    def open(cls, url: str | None, settings: Settings) -> Store:
        """Connect, then create or migrate the schema; StoreError with a hint when the database cannot be used."""
        from sqlalchemy import create_engine, event
        from sqlalchemy.exc import ArgumentError, SQLAlchemyError

        full = normalise_url(url, settings.store.sqlite_path)
        where, password = safe_url(full), password_of(full)
        try:
            if full.startswith("sqlite"):
                make_folder(full)
                engine = create_engine(full, connect_args={"timeout": 30})

                @event.listens_for(engine, "connect")
                def _pragmas(dbapi: DBAPIConnection, _record: object) -> None:
                    dbapi.execute("PRAGMA journal_mode=WAL")
                    dbapi.execute("PRAGMA busy_timeout=30000")
            else:
                engine = create_engine(full, pool_pre_ping=True, connect_args={"connect_timeout": 10})
            store = cls(engine, where, password)
            store._migrate()
            store._watch()
        except ArgumentError:
            raise StoreError(f"DATABASE_URL is not a database URL ({where})",
                             "use postgres://USER:PASSWORD@HOST:5432/NAME, or unset it for SQLite") from None
        except (SQLAlchemyError, ModuleNotFoundError, OSError) as exc:
            raise StoreError(f"cannot open the database {where}: {reason(exc, password)}",
                             "check DATABASE_URL, that the server is running, and the file's folder is writable") from None
        return store

    @classmethod
    def open_existing(cls, url: str | None, settings: Settings) -> Store | None:
        """Open for reading only: None when nothing was recorded yet (no SQLite file, no schema); never migrates.

        Read-only commands (`bot check`, `bot history`, `bot drafts`) use this, so they create no file and no table;
        only `bot post` and `bot run` create or migrate the schema (Store.open). StoreError when the database is
        older than this bot (migrated by the next `bot post` or `bot run`), or cannot be reached.
        """
        from sqlalchemy import create_engine, inspect
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError, SQLAlchemyError

        full = normalise_url(url, settings.store.sqlite_path)
        where, password = safe_url(full), password_of(full)
        try:
            if full.startswith("sqlite"):
                database = make_url(full).database or ""
                if not database or database == ":memory:" or not Path(database).expanduser().is_file():
                    return None
                engine = create_engine(full, connect_args={"timeout": 30})
            else:
                engine = create_engine(full, pool_pre_ping=True, connect_args={"connect_timeout": 10})
            store = cls(engine, where, password)
            with engine.connect() as conn:
                if not inspect(conn).has_table("schema_version"):
                    engine.dispose()
                    return None
                from sqlalchemy import text

                version = conn.execute(text("SELECT MAX(version) FROM schema_version")).scalar() or 0
        except ArgumentError:
            raise StoreError(f"DATABASE_URL is not a database URL ({where})",
                             "use postgres://USER:PASSWORD@HOST:5432/NAME, or unset it for SQLite") from None
        except (SQLAlchemyError, ModuleNotFoundError, OSError) as exc:
            raise StoreError(f"cannot open the database {where}: {reason(exc, password)}",
                             "check DATABASE_URL, that the server is running, and the file is readable") from None
        if version < LATEST:
            engine.dispose()
            raise StoreError(f"the database {where} is at schema v{version}; this bot reads v{LATEST}",
                             "run `bot run --once` (or `bot post`) once to migrate it")
        return store

    def kept_sessions(self) -> KeptSessions:
        """The Bluesky sessions kept in this database (one per service and account)."""
        return KeptSessions(self)

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()

    def _migrate(self) -> None:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK})
            else:  # the sqlite3 module starts no transaction before DDL: take the write lock ourselves
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            conn.execute(text("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"))
            current = conn.execute(text("SELECT MAX(version) FROM schema_version")).scalar() or 0
            for version, statements in MIGRATIONS:
                if version > current:
                    for statement in statements:
                        if isinstance(statement, str):
                            conn.execute(text(statement))
                        else:
                            statement(conn)
                    conn.execute(text("INSERT INTO schema_version (version) VALUES (:v)"), {"v": version})
            conn.commit()

    def _run(self, sql: str, **params: object) -> Sequence[RowMapping]:
        from sqlalchemy import text

        with self.engine.begin() as conn:
            return conn.execute(text(sql), params).mappings().all()

    def _exec(self, sql: str, **params: object) -> None:
        from sqlalchemy import text

        with self.engine.begin() as conn:
            conn.execute(text(sql), params)

    # feeds
    @_guard
    def feed_state(self, url: str) -> FeedRow:
        """ETag, Last-Modified, last poll and whether the first poll is done, for one feed."""
        rows = self._run("SELECT * FROM feeds WHERE url = :u", u=url)
        if rows:
            return cast(FeedRow, dict(rows[0]))
        return {"url": url, "etag": "", "last_modified": "", "last_poll": None, "first_poll_done": 0, "publication": DEFAULT,
                "claimed_by": None, "lease_until": None}

    @_guard
    def save_feed_state(self, url: str, etag: str, last_modified: str, now: float) -> None:
        """Remember the validators for the next conditional GET, and that the first poll is done."""
        self._exec("""INSERT INTO feeds (url, etag, last_modified, last_poll, first_poll_done) VALUES (:u, :e, :l, :n, 1)
                      ON CONFLICT (url) DO UPDATE SET etag = :e, last_modified = :l, last_poll = :n, first_poll_done = 1""",
                   u=url, e=etag or "", l=last_modified or "", n=now)

    # entries
    @_guard
    def upsert_entries(self, feed: str, entries: Iterable[Entry], status: str, now: float,
                       publication: str = DEFAULT) -> list[str]:
        """Insert the entries not yet known (with `status`, of `publication`); return their keys; known ones stay."""
        from sqlalchemy import text

        new: list[str] = []
        with self.engine.begin() as conn:
            for e in entries:
                won = conn.execute(text(
                    """INSERT INTO entries (feed, key, guid, link, title, published, status, created_at, updated_at, publication)
                       VALUES (:f, :k, :g, :l, :t, :p, :s, :n, :n, :b) ON CONFLICT (feed, key) DO NOTHING RETURNING key"""),
                    dict(f=feed, k=e.key, g=e.guid, l=e.link, t=e.title, b=publication,
                         p=e.published.timestamp() if e.published else None, s=status, n=now)).first()
                if won is not None:  # RETURNING says who inserted: rowcount is -1 on Postgres (the design notes)
                    new.append(e.key)
        return new

    @_guard
    def entry(self, feed: str, key: str) -> EntryRow | None:
        """One entry's row."""
        rows = self._run("SELECT * FROM entries WHERE feed = :f AND key = :k", f=feed, k=key)
        return _entry(rows[0]) if rows else None

    @_guard
    def find_entry(self, ref: str) -> EntryRow | None:
        """An entry by key, link or guid (the most recently updated when several feeds match)."""
        rows = self._run("""SELECT * FROM entries WHERE key = :r OR link = :r OR guid = :r
                            ORDER BY updated_at DESC""", r=ref.strip())
        return _entry(rows[0]) if rows else None

    @_guard
    def set_status(self, feed: str, key: str, status: str, now: float) -> None:
        """Set an entry's status without touching its claim or attempts."""
        self._exec("UPDATE entries SET status = :s, updated_at = :n WHERE feed = :f AND key = :k", s=status, n=now, f=feed, k=key)

    @_guard
    def claim(self, feed: str, key: str, owner: str, lease_seconds: float, now: float) -> int:
        """Take the entry for `owner` unless another live process holds it; the database decides who wins.

        The fencing token of the new claim (>= 1), or 0 when another holds it. Every claim, a renewal by the same
        owner included, is a new generation: whoever held an older token can no longer mark a post pending."""
        won = self._run(
            """UPDATE entries SET claimed_by = :o, lease_until = :u, updated_at = :n, claim_token = claim_token + 1
               WHERE feed = :f AND key = :k AND (claimed_by IS NULL OR lease_until < :n OR claimed_by = :o)
               RETURNING claim_token""", o=owner, u=now + lease_seconds, n=now, f=feed, k=key)
        return int(won[0]["claim_token"]) if won else 0

    @_guard
    def take_over(self, feed: str, key: str, old_owner: str, owner: str, lease_seconds: float, now: float) -> int:
        """Take a claim from an owner known to be dead; only succeeds if that owner still holds it. The new fencing
        token, or 0."""
        won = self._run(
            """UPDATE entries SET claimed_by = :o, lease_until = :u, updated_at = :n, claim_token = claim_token + 1
               WHERE feed = :f AND key = :k AND claimed_by = :old RETURNING claim_token""",
            o=owner, u=now + lease_seconds, n=now, f=feed, k=key, old=old_owner)
        return int(won[0]["claim_token"]) if won else 0

    @_guard
    def renew(self, feed: str, key: str, claim: Claim, now: float) -> bool:
        """Extend the lease of a claim still held with this token; False (and nothing changed) once it is lost, so a
        holder that was taken over never renews the claim back."""
        return bool(self._run(
            """UPDATE entries SET lease_until = :u WHERE feed = :f AND key = :k AND claimed_by = :o
               AND claim_token = :t RETURNING key""", u=now + claim.lease, f=feed, k=key, o=claim.owner, t=claim.token))

    @_guard
    def release(self, feed: str, key: str, owner: str, status: str, now: float, *, error: str = "",
                next_attempt: float | None = None, count_attempt: bool = True, cost: float | None = None,
                token: int | None = None) -> bool:
        """Give up the claim and record the outcome; with `token`, only while that claim is still held (a holder
        that lost it records nothing). True when the entry was updated."""
        held = ("claimed_by = :o AND claim_token = :t" if token is not None
                else "(claimed_by = :o OR claimed_by IS NULL)")
        return bool(self._run(
            f"""UPDATE entries SET claimed_by = NULL, lease_until = NULL, status = :s, last_error = :e,
                   next_attempt = :na, attempts = attempts + :a, cost = COALESCE(:c, cost), updated_at = :n
               WHERE feed = :f AND key = :k AND {held} RETURNING key""",
            s=status, e=clip(error, 500), na=next_attempt, a=1 if count_attempt else 0, c=cost, n=now, f=feed, k=key,
            o=owner, t=token))

    @_guard
    def save_plan(self, feed: str, key: str, plan: Plan, claim: Claim | None = None, first: bool = False) -> bool:
        """Keep the prepared thread, so a resumed run posts exactly the same text; under `claim`, only while it is
        still held (ClaimLost otherwise: a holder that was taken over never replaces the thread being posted); with
        `first`, only when the entry has none yet (False: another process's thread, perhaps reviewed, stays)."""
        held = (" AND claimed_by = :o AND claim_token = :t" if claim is not None else "") + (" AND plan IS NULL" if first else "")
        saved = self._run(f"UPDATE entries SET plan = :p WHERE feed = :f AND key = :k{held} RETURNING key",
                          p=plan.to_json(), f=feed, k=key,
                          o=claim.owner if claim else None, t=claim.token if claim else None)
        if claim is not None and not saved:
            raise ClaimLost("lost the claim on this entry while its thread was written: another bot process took it "
                            "over after this one's lease ran out (store.lease_seconds); stopped, and sent nothing")
        return bool(saved)

    @_guard
    def load_plan(self, feed: str, key: str) -> Plan | None:
        """The prepared thread saved earlier, if any."""
        rows = self._run("SELECT plan FROM entries WHERE feed = :f AND key = :k", f=feed, k=key)
        return Plan.from_json(rows[0]["plan"]) if rows and rows[0]["plan"] else None

    @_guard
    def due(self, feed: str, now: float, max_attempts: int) -> list[EntryRow]:
        """Entries to work on now, oldest first: new ones, and failed, partial (stopped half-way) or waiting
        (post budget, rate limit) ones whose retry time has come, while they have attempts left."""
        rows = self._run(
            f"""SELECT * FROM entries WHERE feed = :f AND attempts < :m AND (status = 'new'
                   OR (status IN ({_quoted(RESUMABLE)}) AND (next_attempt IS NULL OR next_attempt <= :n)))
               ORDER BY COALESCE(published, created_at), key""", f=feed, m=max_attempts, n=now)
        return [_entry(r) for r in rows]

    @_guard
    def due_retries(self, now: float, max_attempts: int) -> list[EntryRow]:
        """Failed entries of every feed whose retry time has come and that have attempts left."""
        rows = self._run("""SELECT * FROM entries WHERE status = 'failed' AND attempts < :m
                               AND (next_attempt IS NULL OR next_attempt <= :n)
                            ORDER BY COALESCE(next_attempt, updated_at), key""", m=max_attempts, n=now)
        return [_entry(r) for r in rows]

    @_guard
    def exhausted(self, max_attempts: int) -> list[EntryRow]:
        """Failed entries that used up their attempts: they wait for `bot retry ENTRY`."""
        rows = self._run("SELECT * FROM entries WHERE status = 'failed' AND attempts >= :m ORDER BY updated_at DESC",
                         m=max_attempts)
        return [_entry(r) for r in rows]

    @_guard
    def retry(self, ref: str, now: float) -> EntryRow | None:
        """Make an entry eligible again (status new, attempts reset) and return its row as it was; None when nothing matches.

        A posted entry is left as it is; a partial one resumes from its ledger, so nothing is posted twice.
        """
        row = self.find_entry(ref)
        if row is None:
            return None
        if row["status"] in RETRYABLE:
            self._exec("""UPDATE entries SET status = 'new', attempts = 0, next_attempt = NULL, last_error = '',
                              updated_at = :n WHERE feed = :f AND key = :k""", n=now, f=row["feed"], k=row["key"])
        return row

    # posts and calls
    def ledger(self, feed: str, key: str, now: Callable[[], float] | None = None, network: str = PRIMARY,
               claim: Claim | None = None, account: str = DEFAULT) -> StoreLedger:
        """The durable progress of one entry's thread on one network account (networks.base.Ledger); `now` is time().
        Under `claim`, each pending mark first proves the claim is still held (the fence; ClaimLost when not)."""
        return StoreLedger(self, feed, key, now or time.time, network, claim, account)

    @_guard
    def posts_since(self, since: float, network: str = PRIMARY, account: str | None = None) -> int:
        """Posts made on `network` (by `account`; None: any) since an epoch second (the post budget)."""
        return len(self.post_times_since(since, network, account))

    @_guard
    def post_times_since(self, since: float, network: str = PRIMARY, account: str | None = None) -> list[float]:
        """When each post on `network` (by `account`; None: any) since an epoch second was made, oldest first."""
        rows = self._run("""SELECT posted_at FROM tweets WHERE network = :w AND posted_at >= :t AND tweet_id IS NOT NULL
                            AND (account = :a OR :a = '') ORDER BY posted_at""", w=network, t=since, a=account or "")
        return [float(r["posted_at"]) for r in rows]

    @_guard
    def threads_since(self, since: float) -> int:
        """Threads whose first post went out since an epoch second (for the daily cap), once on any network."""
        rows = self._run("""SELECT COUNT(DISTINCT feed || ' ' || entry_key) AS n FROM tweets WHERE position = 1
                            AND posted_at >= :t AND tweet_id IS NOT NULL""", t=since)
        return int(rows[0]["n"])

    def threads_today(self, now: datetime) -> int:
        """Threads started since 00:00 UTC of `now`'s day (for daemon.daily_cap)."""
        return self.threads_since(now.replace(hour=0, minute=0, second=0, microsecond=0).timestamp())

    @_guard
    def record_calls(self, feed: str, key: str, calls: Iterable[ModelCall], now: float) -> None:
        """Keep every model call, for `bot history` and the benchmark."""
        from sqlalchemy import text

        rows = [dict(f=feed, k=key, b=c.backend, m=c.model, p=c.purpose, o=c.outcome, l=c.latency_ms,
                     pt=c.prompt_tokens, ct=c.completion_tokens, n=now) for c in calls]
        if rows:
            with self.engine.begin() as conn:
                conn.execute(text("""INSERT INTO model_calls (feed, entry_key, backend, model, purpose, outcome, latency_ms,
                                     prompt_tokens, completion_tokens, at) VALUES (:f, :k, :b, :m, :p, :o, :l, :pt, :ct, :n)"""), rows)

    @_guard
    def history(self, limit: int = 50, publication: str = "") -> list[HistoryRow]:
        """The latest entries (of `publication`; "": every one), newest first, with their post ids and model calls."""
        entries = self._run("""SELECT * FROM entries WHERE (publication = :b OR :b = '')
                               ORDER BY COALESCE(published, created_at) DESC, key LIMIT :l""", l=limit, b=publication)
        out: list[HistoryRow] = []
        for e in entries:
            tweets = self._run("""SELECT network, account, position, tweet_id FROM tweets WHERE feed = :f AND entry_key = :k AND
                                  tweet_id IS NOT NULL ORDER BY network <> :p, network, position""", f=e["feed"], k=e["key"],
                                p=PRIMARY)
            calls = self._run("SELECT COUNT(*) AS n FROM model_calls WHERE feed = :f AND entry_key = :k", f=e["feed"], k=e["key"])
            out.append({"feed": e["feed"], "key": e["key"], "publication": e["publication"], "title": e["title"], "link": e["link"], "status": e["status"],
                        "attempts": e["attempts"], "last_error": e["last_error"], "published": e["published"],
                        "updated_at": e["updated_at"], "cost": e["cost"], "model_calls": int(calls[0]["n"]),
                        "tweets": [{**published_item(t["network"], t["position"], t["tweet_id"]), "account": t["account"]}
                                   for t in tweets]})
        return out

    @_guard
    def health(self) -> str:
        """One line: which database, schema version, how many entries."""
        rows = self._run("SELECT (SELECT MAX(version) FROM schema_version) AS v, (SELECT COUNT(*) FROM entries) AS n")
        return f"{self.where}, schema v{rows[0]['v']} (latest {LATEST}), {rows[0]['n']} entries"


def _quoted(words: Iterable[str]) -> str:
    """Fixed status names as an SQL list ('a', 'b'); never user input."""
    return ", ".join(f"'{w}'" for w in words)


def _entry(row: RowMapping) -> EntryRow:
    """A row of `entries` as the dict the store hands out."""
    return cast(EntryRow, dict(row))
