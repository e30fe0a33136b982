"""The store on SQLite and on a real PostgreSQL: migrations, claims, the ledger, plans, retries, history."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dbs import fresh_postgres

from bot.core import settings as config
from bot.core.errors import StoreError
from bot.core.records import Entry, ModelCall, Plan, PublishedTweet, SavedPost, SavedThread
from bot.state.schema import LATEST
from bot.state.store import Store, normalise_url

NOW = 1_800_000_000.0


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bot.db'}"
    else:
        yield from fresh_postgres()


@pytest.fixture
def settings(tmp_path: Path) -> config.Settings:
    return config.load({"BOT_STORE_SQLITE_PATH": str(tmp_path / "default.db")}, dotenv=None)


@pytest.fixture
def store(db_url: str, settings: config.Settings) -> Iterator[Store]:
    s = Store.open(db_url, settings)
    yield s
    s.close()


def entry(slug: str, day: int = 1) -> Entry:
    return Entry(feed="F", key=f"/p/{slug}", guid=f"https://a.substack.com/p/{slug}", link=f"https://a.substack.com/p/{slug}",
                 title=slug.title(), published=datetime(2026, 11, day, tzinfo=UTC))


def test_migrations_are_idempotent(db_url: str, settings: config.Settings) -> None:
    for _ in range(3):
        s = Store.open(db_url, settings)
        assert f"schema v{LATEST} (latest {LATEST})" in s.health()
        s.close()


def test_only_unknown_entries_are_inserted(store: Store) -> None:
    assert store.upsert_entries("F", [entry("a"), entry("b")], "new", NOW) == ["/p/a", "/p/b"]
    assert store.upsert_entries("F", [entry("a"), entry("c")], "new", NOW) == ["/p/c"]
    assert store.upsert_entries("G", [entry("a")], "skipped", NOW) == ["/p/a"]  # another feed, another entry


def test_claim_is_exclusive_until_the_lease_expires(store: Store) -> None:
    store.upsert_entries("F", [entry("a")], "new", NOW)
    assert store.claim("F", "/p/a", "one", 60, NOW)
    assert not store.claim("F", "/p/a", "two", 60, NOW + 30)
    assert store.claim("F", "/p/a", "one", 60, NOW + 30)  # the holder may renew
    assert store.claim("F", "/p/a", "two", 60, NOW + 200)  # expired: taken over
    store.release("F", "/p/a", "two", "posted", NOW + 201)
    assert store.entry("F", "/p/a")["status"] == "posted"


def test_ledger_survives_reopening(db_url: str, settings: config.Settings) -> None:
    s = Store.open(db_url, settings)
    s.upsert_entries("F", [entry("a")], "new", NOW)
    ledger = s.ledger("F", "/p/a", now=lambda: NOW)
    ledger.pending(1)
    ledger.record(PublishedTweet(1, "111", "m-1"), "first")
    ledger.pending(2)
    s.close()
    again = Store.open(db_url, settings).ledger("F", "/p/a")
    assert again.done() == {1: PublishedTweet(1, "111", "m-1")}
    assert again.pending_positions() == {2}


def test_plan_round_trip_and_budget_counts(store: Store) -> None:
    store.upsert_entries("F", [entry("a")], "new", NOW)
    plan = Plan({"x": SavedThread(280, 23, (SavedPost("こんにちは 👋", 12),))})
    store.save_plan("F", "/p/a", plan)
    assert store.load_plan("F", "/p/a") == plan
    ledger = store.ledger("F", "/p/a", now=lambda: NOW)
    for position in (1, 2, 3):
        ledger.record(PublishedTweet(position, str(100 + position)))
    assert store.posts_since(NOW - 10) == 3 and store.posts_since(NOW + 10) == 0
    assert store.threads_since(NOW - 10) == 1


def test_due_retries_back_off_and_stop_at_max_attempts(store: Store) -> None:
    store.upsert_entries("F", [entry("a", 1), entry("b", 2)], "new", NOW)
    assert [r["key"] for r in store.due("F", NOW, 3)] == ["/p/a", "/p/b"]
    store.claim("F", "/p/a", "me", 60, NOW)
    store.release("F", "/p/a", "me", "failed", NOW, error="HTTP 503", next_attempt=NOW + 300)
    assert [r["key"] for r in store.due("F", NOW + 10, 3)] == ["/p/b"]
    assert [r["key"] for r in store.due("F", NOW + 300, 3)] == ["/p/a", "/p/b"]
    for _ in range(2):
        store.release("F", "/p/a", "me", "failed", NOW, next_attempt=NOW)
    assert [r["key"] for r in store.due("F", NOW + 400, 3)] == ["/p/b"]
    row = store.retry("https://a.substack.com/p/a", NOW + 500)
    assert row is not None and row["status"] == "failed"
    assert [r["key"] for r in store.due("F", NOW + 500, 3)] == ["/p/a", "/p/b"]
    assert store.retry("/p/nothing", NOW) is None


def test_due_resumes_partial_and_waiting_entries_when_their_time_comes(store: Store) -> None:
    store.upsert_entries("F", [entry("a", 1), entry("b", 2), entry("c", 3), entry("d", 4)], "new", NOW)
    for key, status, at in (("/p/a", "partial", None), ("/p/b", "waiting", NOW + 600),
                            ("/p/c", "truncated", None), ("/p/d", "posted", None)):
        store.claim("F", key, "me", 60, NOW)
        store.release("F", key, "me", status, NOW, next_attempt=at, count_attempt=False)
    assert [r["key"] for r in store.due("F", NOW, 1)] == ["/p/a"]  # a thread stopped half-way: at once
    assert [r["key"] for r in store.due("F", NOW + 600, 1)] == ["/p/a", "/p/b"]  # the budget has freed
    assert store.entry("F", "/p/b")["attempts"] == 0  # waiting used no attempt


def test_post_times_since_are_oldest_first(store: Store) -> None:
    store.upsert_entries("F", [entry("a")], "new", NOW)
    ledger = store.ledger("F", "/p/a", now=lambda: NOW)
    for position, t in ((1, NOW + 5), (2, NOW + 1), (3, NOW + 9)):
        ledger.now = lambda t=t: t
        ledger.record(PublishedTweet(position, str(position)))
    ledger.pending(4)  # sent, no answer: not a post we know of
    assert store.post_times_since(NOW + 2) == [NOW + 5, NOW + 9]


def test_history_lists_tweet_ids_and_calls(store: Store) -> None:
    store.upsert_entries("F", [entry("a", 1), entry("b", 2)], "new", NOW)
    store.ledger("F", "/p/a").record(PublishedTweet(1, "42"))
    store.record_calls("F", "/p/a", [ModelCall("hf", "m", "thread", "ok", 10, 5, 6)], NOW)
    rows = store.history(10)
    assert [r["key"] for r in rows] == ["/p/b", "/p/a"]
    assert rows[1]["tweets"] == [{"network": "x", "position": 1, "id": "42", "tweet_id": "42", "account": "default"}]
    assert rows[1]["model_calls"] == 1


CLAIMER = textwrap.dedent("""
    import sys
    from bot.core import settings as config
    from bot.state.store import Store
    store = Store.open(sys.argv[1], config.load({}, dotenv=None))
    print("won" if store.claim("F", "/p/a", sys.argv[2], 600, 1_800_000_000.0) else "lost")
""")


def test_two_processes_contest_a_claim_and_one_wins(db_url: str, settings: config.Settings) -> None:
    s = Store.open(db_url, settings)
    s.upsert_entries("F", [entry("a")], "new", NOW)
    s.close()
    procs = [subprocess.Popen([sys.executable, "-c", CLAIMER, db_url, f"p{i}"], stdout=subprocess.PIPE, text=True)
             for i in range(4)]
    results = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
    assert results == ["lost", "lost", "lost", "won"]


@pytest.mark.parametrize("given,expected", [
    ("postgres://u:p@h:5432/d", "postgresql+psycopg://u:p@h:5432/d"),
    ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
    (None, "sqlite:///bot.db"),
    ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
])
def test_database_urls(given: str | None, expected: str) -> None:
    assert normalise_url(given, "bot.db") == expected


def test_unreachable_database_is_one_line_without_the_password(settings: config.Settings) -> None:
    with pytest.raises(StoreError) as info:
        Store.open("postgres://bot:hunter2secret@127.0.0.1:1/nothing", settings)
    message = str(info.value)
    assert "hunter2secret" not in message and "cannot open the database" in message and "\n" not in message


def test_unwritable_sqlite_folder(tmp_path: Path, settings: config.Settings) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot open the database"):
        Store.open(f"sqlite:///{blocker}/sub/bot.db", settings)


OPENER = textwrap.dedent("""
    import sys
    from bot.core import settings as config
    from bot.state.store import Store
    Store.open(sys.argv[1], config.load({}, dotenv=None)).close()
    print("ok")
""")


def test_concurrent_first_opens_migrate_once(db_url: str) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", OPENER, db_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(4)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [o.strip() for o, _ in outs] == ["ok"] * 4, [e for _, e in outs]
    from sqlalchemy import create_engine, text

    engine = create_engine(normalise_url(db_url, ""))
    with engine.connect() as conn:
        versions = [r[0] for r in conn.execute(text("SELECT version FROM schema_version ORDER BY version"))]
    engine.dispose()
    assert versions == list(range(1, LATEST + 1))


def test_two_threads_contest_a_claim_and_one_wins(store: Store) -> None:
    import threading

    store.upsert_entries("F", [entry("a")], "new", NOW)
    barrier = threading.Barrier(2)
    won: list[str] = []

    def contest(owner: str) -> None:
        barrier.wait()
        if store.claim("F", "/p/a", owner, 600, NOW):
            won.append(owner)

    threads = [threading.Thread(target=contest, args=(f"t{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(won) == 1 and store.entry("F", "/p/a")["claimed_by"] == won[0]


def test_a_released_claim_can_be_taken_and_only_the_holder_releases(store: Store) -> None:
    store.upsert_entries("F", [entry("a")], "new", NOW)
    assert store.claim("F", "/p/a", "one", 60, NOW)
    store.release("F", "/p/a", "intruder", "posted", NOW)  # not the holder: nothing changes
    assert store.entry("F", "/p/a")["status"] == "new" and store.entry("F", "/p/a")["claimed_by"] == "one"
    store.release("F", "/p/a", "one", "failed", NOW, error="HTTP 503", next_attempt=NOW + 60)
    assert store.claim("F", "/p/a", "two", 60, NOW + 1)


def test_retry_resets_failed_and_partial_but_never_posted(store: Store) -> None:
    store.upsert_entries("F", [entry("a"), entry("b"), entry("c")], "new", NOW)
    for key, status in (("/p/a", "failed"), ("/p/b", "partial"), ("/p/c", "posted")):
        store.release("F", key, "me", status, NOW, error="x")
    for _ in range(4):
        store.release("F", "/p/a", "me", "failed", NOW, error="HTTP 503")
    assert [r["key"] for r in store.exhausted(5)] == ["/p/a"]
    assert store.due_retries(NOW, 5) == []
    for ref in ("/p/a", "https://a.substack.com/p/b", "/p/c"):
        store.retry(ref, NOW + 1)
    assert {k: store.entry("F", k)["status"] for k in ("/p/a", "/p/b", "/p/c")} == \
        {"/p/a": "new", "/p/b": "new", "/p/c": "posted"}
    assert store.entry("F", "/p/a")["attempts"] == 0 and store.exhausted(5) == []


def test_due_retries_across_feeds(store: Store) -> None:
    store.upsert_entries("F", [entry("a")], "new", NOW)
    store.upsert_entries("G", [entry("b")], "new", NOW)
    store.release("F", "/p/a", "me", "failed", NOW, next_attempt=NOW + 100)
    store.release("G", "/p/b", "me", "failed", NOW, next_attempt=NOW + 50)
    assert [r["key"] for r in store.due_retries(NOW + 60, 5)] == ["/p/b"]
    assert [r["feed"] for r in store.due_retries(NOW + 100, 5)] == ["G", "F"]


def test_threads_today_counts_first_posts_since_midnight_utc(store: Store) -> None:
    midnight = datetime(2027, 1, 15, tzinfo=UTC).timestamp()
    store.upsert_entries("F", [entry("a"), entry("b")], "new", midnight)
    store.ledger("F", "/p/a", now=lambda: midnight - 60).record(PublishedTweet(1, "1"))
    ledger = store.ledger("F", "/p/b", now=lambda: midnight + 60)
    ledger.record(PublishedTweet(1, "2"))
    ledger.record(PublishedTweet(2, "3"))
    assert store.threads_today(datetime(2027, 1, 15, 23, tzinfo=UTC)) == 1


def test_feed_state_round_trip(store: Store) -> None:
    assert store.feed_state("F")["first_poll_done"] == 0
    store.save_feed_state("F", '"etag-1"', "Mon, 23 Nov 2026 10:00:00 GMT", NOW)
    state = store.feed_state("F")
    assert (state["etag"], state["last_modified"], state["last_poll"], state["first_poll_done"]) == \
        ('"etag-1"', "Mon, 23 Nov 2026 10:00:00 GMT", NOW, 1)


def test_sqlite_folder_is_created(tmp_path: Path, settings: config.Settings) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'data' / 'deep' / 'bot.db'}", settings) as s:
        assert f"schema v{LATEST} (latest {LATEST})" in s.health()
    assert (tmp_path / "data" / "deep" / "bot.db").is_file()


def test_default_is_the_sqlite_file_from_settings(tmp_path: Path, settings: config.Settings) -> None:
    with Store.open(None, settings) as s:
        s.upsert_entries("F", [entry("a")], "new", NOW)
    assert (tmp_path / "default.db").is_file()


def test_a_broken_url_is_one_line(settings: config.Settings) -> None:
    with pytest.raises(StoreError) as info:
        Store.open("nonsense://x:topsecretpw@host/db", settings)
    assert "topsecretpw" not in str(info.value) and "\n" not in str(info.value)


def test_a_lost_database_is_a_store_error_from_the_ledger_too(tmp_path: Path, settings: config.Settings) -> None:
    path = tmp_path / "bot.db"
    s = Store.open(f"sqlite:///{path}", settings)
    s.upsert_entries("F", [entry("a")], "new", NOW)
    ledger = s.ledger("F", "/p/a")
    from sqlalchemy import text

    with s.engine.begin() as conn:
        conn.execute(text("DROP TABLE tweets"))
    with pytest.raises(StoreError, match="database error"):
        ledger.record(PublishedTweet(1, "9"))
    s.close()


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_a_sqlite_file_deleted_or_replaced_under_the_store_is_noticed(tmp_path: Path, settings: config.Settings,
                                                                       how: str) -> None:
    from bot.core.errors import StoreGone

    path = tmp_path / "bot.db"
    s = Store.open(f"sqlite:///{path}", settings)
    s.upsert_entries("F", [entry("a")], "new", NOW)
    ledger = s.ledger("F", "/p/a")
    for p in tmp_path.glob("bot.db*"):
        p.unlink()
    if how == "replaced":
        Store.open(f"sqlite:///{path}", settings).close()  # a new, empty database in its place
    with pytest.raises(StoreGone, match="deleted or replaced"):
        ledger.record(PublishedTweet(1, "9"))
    with pytest.raises(StoreGone):
        s.entry("F", "/p/a")
    s.close()
    assert path.exists() == (how == "replaced")  # nothing created a new file behind the operator's back
