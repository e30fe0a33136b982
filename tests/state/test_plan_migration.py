"""Plans saved by the bot before schema v7 (X's thread as a top-level `tweets`) still load after the upgrade, on
SQLite and PostgreSQL: migration 7 rewrites them, the thread resumes with exactly the text it was saved with, and
nothing already posted is posted again.

The oracle is tests/fixtures/plans_v6.json: plans and thread.json records made by the bot's code at schema v6
(tests/fixtures/make_plans_v6.py), and a database built by migrations 1-6, as that code built it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dbs import fresh_postgres

from bot.core import settings as config
from bot.core.clock import FakeClock
from bot.core.records import Image, PostedThread, PublishedTweet, Thread
from bot.feed import source as feed_stage
from bot.networks.bluesky.length import COUNTER as BLUESKY
from bot.networks.x.length import COUNTER as X
from bot.output.record import plan_record
from bot.run.pipeline import Deps
from bot.run.publishing import publish_entry, thread_from_plan
from bot.state.schema import MIGRATIONS
from bot.state.store import Store
from bot.tweets.length import Counter

FIXTURE = json.loads((Path(__file__).parent.parent / "fixtures" / "plans_v6.json").read_text(encoding="utf-8"))
CASES = {c["name"]: c for c in FIXTURE["cases"]}
SAMPLE = Path(__file__).resolve().parent.parent.parent / "bot" / "data" / "sample_feed.xml"
NOW = 1_800_000_000.0


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    urls = iter([f"sqlite:///{tmp_path / 'bot.db'}"]) if request.param == "sqlite" else fresh_postgres()
    yield next(urls)
    for _ in urls:  # drops the PostgreSQL database
        pass


def v6_database(url: str, rows: list[tuple[str, str, str]], posted: list[tuple[str, str, str, int, str]]) -> None:
    """A database at schema v6 holding these entries' plans (feed, key, plan JSON) and posts already out."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE schema_version (version INTEGER NOT NULL)"))
        for version, statements in MIGRATIONS:
            if version <= 6:
                for statement in statements:
                    assert isinstance(statement, str)
                    conn.execute(text(statement))
                conn.execute(text("INSERT INTO schema_version (version) VALUES (:v)"), {"v": version})
        for feed, key, plan in rows:
            conn.execute(text("""INSERT INTO entries (feed, key, status, plan, created_at, updated_at)
                                 VALUES (:f, :k, 'partial', :p, :n, :n)"""), {"f": feed, "k": key, "p": plan, "n": NOW})
        for feed, key, network, position, text_ in posted:
            conn.execute(text("""INSERT INTO tweets (feed, entry_key, network, position, text, tweet_id, posted_at)
                                 VALUES (:f, :k, :w, :p, :t, :i, :n)"""),
                         {"f": feed, "k": key, "w": network, "p": position, "t": text_, "i": f"{network}-{position}",
                          "n": NOW})
    engine.dispose()


def settings(tmp_path: Path, networks: str) -> Any:
    return config.load({"BOT_STORE_SQLITE_PATH": str(tmp_path / "default.db"), "BOT_NETWORKS": networks}, dotenv=None)


def test_every_plan_saved_before_v7_reads_back_as_it_was_saved(url: str, tmp_path: Path) -> None:
    v6_database(url, [("F", name, c["plan"]) for name, c in CASES.items()], [])
    store = Store.open(url, settings(tmp_path, "x"))  # migrates to v7
    entry = feed_stage.fetch(str(SAMPLE), timeout=5, user_agent="t", max_bytes=10_000_000).entries[0]
    try:
        raw = {r["key"]: json.loads(r["plan"]) for r in store._run("SELECT key, plan FROM entries")}
        for name, case in CASES.items():
            old = json.loads(case["plan"])
            assert "tweets" not in raw[name] and "x" in raw[name]["threads"], name  # rewritten in place
            plan = store.load_plan("F", name)
            assert plan is not None
            texts = lambda posts: [(p.text, p.weighted_length) for p in posts]  # noqa: E731
            assert texts(plan.posts("x")) == [(t["text"], t["weighted_length"]) for t in old["tweets"]], name
            for network, body in (old.get("threads") or {}).items():
                assert texts(plan.posts(network)) == [(t["text"], t["weighted_length"]) for t in body["tweets"]]
            assert plan.fitted == tuple(old.get("threads") or ("x",)), name  # published to as before
            thread = thread_from_plan(plan, entry, None, tmp_path, need_image=False)
            assert [t.text for t in thread.tweets] == [t["text"] for t in old["tweets"]]
            if case["thread_json"] is not None:  # thread.json from the migrated plan: the same contract bytes
                record = plan_record(plan)
                for key in ("entry", "tweets", "image", "writer", "published", "threads"):
                    assert json.dumps(record.get(key), ensure_ascii=False) == \
                        json.dumps(case["thread_json"].get(key), ensure_ascii=False), (name, key)
    finally:
        store.close()


class Net:
    """A network that posts what its ledger lacks, keeping each text it sends."""

    def __init__(self, network: str, counter: Counter) -> None:
        self.network, self._counter, self.sent = network, counter, []  # type: list[tuple[int, str]]

    def counter(self) -> Counter:
        return self._counter

    def publish(self, thread: Thread, ledger: Any, budget: Any = None) -> PostedThread:
        done = ledger.done()
        posts = []
        for n, tweet in enumerate(thread.for_network(self.network).tweets, 1):
            if n not in done:
                self.sent.append((n, tweet.text))
                ledger.record(PublishedTweet(n, f"{self.network}-{n}", network=self.network))
            posts.append(PublishedTweet(n, f"{self.network}-{n}", network=self.network))
        return PostedThread(thread, tuple(posts), complete=True)


class NoWriter:
    """A writer that must not be asked: the saved plan is what goes out."""

    name, calls = "hf", []  # type: str, list[Any]

    def write(self, *args: Any) -> Any:
        raise AssertionError("the thread was written again instead of resumed from its plan")

    rewrite = revise = write


class NoImage:
    calls: list[Any] = []

    def make(self, *args: Any) -> Image:
        raise AssertionError("the image was made again")


def test_a_thread_half_posted_before_the_upgrade_is_finished_without_posting_anything_twice(
        url: str, tmp_path: Path) -> None:
    case = CASES["x_and_bluesky_published"]
    old = json.loads(case["plan"])
    entry = feed_stage.fetch(str(SAMPLE), timeout=5, user_agent="t", max_bytes=10_000_000).entries[0]
    v6_database(url, [("F", entry.key, case["plan"])], [("F", entry.key, "x", 1, old["tweets"][0]["text"])])
    s = settings(tmp_path, "x,bluesky")
    store = Store.open(url, s)
    x, bluesky = Net("x", X), Net("bluesky", BLUESKY)
    (tmp_path / old["image"]["path"]).write_bytes(b"")  # the image file is still there: nothing to make again
    deps = Deps(s, NoWriter(), NoImage(), x, FakeClock(), store=store, publishers=(x, bluesky))
    try:
        publish_entry(entry, "F", deps, tmp_path)
        assert x.sent == [(n, t["text"]) for n, t in enumerate(old["tweets"], 1)][1:]  # X's 1 was out already
        assert bluesky.sent == [(n, t["text"]) for n, t in enumerate(old["threads"]["bluesky"]["tweets"], 1)]
        assert (store.entry("F", entry.key) or {})["status"] == "posted"
    finally:
        store.close()
