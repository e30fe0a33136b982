"""State of many publications: the v8 migration keeps every old post (nothing reposted), posts are kept per
network account, and a feed is polled by one worker at a time; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dbs import fresh_postgres

from bot.core import settings as config
from bot.core.records import PublishedTweet
from bot.state import ledger
from bot.state.schema import MIGRATIONS
from bot.state.store import Store

NOW = 1_800_000_000.0


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    urls = iter([f"sqlite:///{tmp_path / 'bot.db'}"]) if request.param == "sqlite" else fresh_postgres()
    yield next(urls)
    for _ in urls:  # drops the PostgreSQL database
        pass


def _settings() -> config.Settings:
    return config.load({}, dotenv=None)


def _v7(url: str) -> None:
    """A database as the bot before publications left it: one thread posted in full, one half-way (position 1 of 2)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE schema_version (version INTEGER NOT NULL)"))
        for version, statements in MIGRATIONS:
            if version <= 7:
                for statement in statements:
                    conn.execute(text(statement)) if isinstance(statement, str) else statement(conn)
                conn.execute(text("INSERT INTO schema_version (version) VALUES (:v)"), {"v": version})
        for key, status in (("/p/done", "posted"), ("/p/half", "partial")):
            conn.execute(text("""INSERT INTO entries (feed, key, status, created_at, updated_at)
                                 VALUES ('F', :k, :s, 1, 1)"""), {"k": key, "s": status})
        conn.execute(text("""INSERT INTO tweets (feed, entry_key, network, position, tweet_id, posted_at) VALUES
                             ('F', '/p/done', 'x', 1, '11', 1), ('F', '/p/done', 'x', 2, '12', 1),
                             ('F', '/p/half', 'x', 1, '21', 1)"""))
    engine.dispose()


def test_the_upgrade_keeps_every_post_under_the_default_publication_and_account(url: str) -> None:
    _v7(url)
    with Store.open(url, _settings()) as store:
        assert sorted(store.ledger("F", "/p/done").done()) == [1, 2]
        assert sorted(store.ledger("F", "/p/half").done()) == [1]  # the resumed thread starts at position 2
        assert (store.entry("F", "/p/half") or {}).get("publication") == "default"
        assert [r["publication"] for r in store.history(10)] == ["default", "default"]
        assert store.history(10, publication="acme") == []


def test_posts_are_kept_per_network_account(url: str) -> None:
    with Store.open(url, _settings()) as store:
        store.upsert_entries("F", [], "new", NOW)
        store.ledger("F", "/p/a", account="acme").record(PublishedTweet(1, "1"))
        assert store.ledger("F", "/p/a", account="beta").done() == {}
        assert list(store.ledger("F", "/p/a", account="acme").done()) == [1]
        assert ledger.account_threads(store, "x", "acme", 0) == (1, pytest.approx(store.post_times_since(0, "x", "acme")[0]))
        assert ledger.account_threads(store, "x", "beta", 0) == (0, None)
        assert store.posts_since(0, "x", "beta") == 0 and store.posts_since(0, "x") == 1


def test_one_worker_polls_a_feed_at_a_time(url: str) -> None:
    with Store.open(url, _settings()) as store:
        assert ledger.claim_feed(store, "F", "acme", "w1", 60, NOW)
        assert not ledger.claim_feed(store, "F", "acme", "w2", 60, NOW + 1)
        ledger.release_feed(store, "F", "w1")
        assert ledger.claim_feed(store, "F", "acme", "w2", 60, NOW + 2)
        assert ledger.claim_feed(store, "F", "acme", "w3", 60, NOW + 63)  # w2 died: its lease ran out
        assert store.feed_state("F")["publication"] == "acme"
