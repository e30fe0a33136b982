"""The review page's sessions in the store, on SQLite and PostgreSQL: a session lives until it ends or expires, and
the store never holds the id a cookie carries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dbs import fresh_postgres

from bot.core import settings as config
from bot.state.sessions import Sessions
from bot.state.store import Store

NOW = 1_800_000_000.0


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    settings = config.load({"BOT_STORE_SQLITE_PATH": str(tmp_path / "default.db")}, dotenv=None)
    urls = iter([f"sqlite:///{tmp_path / 'bot.db'}"]) if request.param == "sqlite" else fresh_postgres()
    url = next(urls)
    s = Store.open(url, settings)
    yield s
    s.close()
    for _ in urls:  # drops the PostgreSQL database
        pass


def test_a_session_lives_until_it_ends_or_expires(store: Store) -> None:
    sessions = Sessions(store)
    one, two = sessions.start(NOW, 3600), sessions.start(NOW, 3600)
    assert one != two and sessions.live(one, NOW + 1) and sessions.live(two, NOW + 1)
    sessions.end(one)
    assert not sessions.live(one, NOW + 2) and sessions.live(two, NOW + 2)  # ending one leaves the other
    assert not sessions.live(two, NOW + 3600)  # expired
    assert not sessions.live("made-up", NOW)
    stored = [r["id"] for r in store._run("SELECT id FROM web_sessions")]
    assert two not in stored and len(stored) == 1  # only a hash of the cookie's id is kept
    sessions.start(NOW + 7200, 3600)
    assert len(store._run("SELECT id FROM web_sessions")) == 1  # the expired one was dropped
