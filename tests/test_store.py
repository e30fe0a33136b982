"""The store on SQLite and on a real PostgreSQL: migrations, claims, the ledger, plans, retries, history."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest

from bot import config
from bot.errors import StoreError
from bot.models import Entry, ModelCall, PublishedTweet
from bot.store import Store, normalise_url
from dbs import fresh_postgres

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
                 title=slug.title(), published=datetime(2026, 11, day, tzinfo=timezone.utc))


def test_migrations_are_idempotent(db_url: str, settings: config.Settings) -> None:
    for _ in range(3):
        s = Store.open(db_url, settings)
        assert "schema v1" in s.health()
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
    plan = {"tweets": [{"text": "こんにちは 👋", "weighted_length": 12}]}
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


def test_history_lists_tweet_ids_and_calls(store: Store) -> None:
    store.upsert_entries("F", [entry("a", 1), entry("b", 2)], "new", NOW)
    store.ledger("F", "/p/a").record(PublishedTweet(1, "42"))
    store.record_calls("F", "/p/a", [ModelCall("hf", "m", "thread", "ok", 10, 5, 6)], NOW)
    rows = store.history(10)
    assert [r["key"] for r in rows] == ["/p/b", "/p/a"]
    assert rows[1]["tweets"] == [{"position": 1, "tweet_id": "42"}] and rows[1]["model_calls"] == 1


CLAIMER = textwrap.dedent("""
    import sys
    from bot import config
    from bot.store import Store
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
