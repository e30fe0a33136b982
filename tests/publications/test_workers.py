"""Workers that scale out on PostgreSQL: three `bot run --once` processes share one database and two publications,
each on its own X account (a local X per account, which checks that account's OAuth signature). Every thread goes
out exactly once, on its own publication's account: feeds and entries are claimed with row locks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from dbs import fresh_postgres
from helpers.botproc import BotProcess, bot_env, run_bot, wait_until
from helpers.world import ESSAY, item, no_leaks, rss
from twins.feedserver import FeedServer
from twins.xserver import CREDENTIALS, XServer

SLUGS = ("first-note", "second-note", "third-note")


def keys(account: str) -> dict[str, str]:
    """An account's own X credentials (each local X accepts only its account's signature)."""
    return {name: f"{value}-{account}" for name, value in CREDENTIALS.items()}


@pytest.fixture
def database() -> Iterator[str]:
    urls = fresh_postgres()
    yield next(urls)
    next(urls, None)  # drops it


def test_three_workers_post_every_thread_once_on_its_own_account(tmp_path: Path, database: str) -> None:
    with FeedServer() as feeds, XServer(keys=keys("acme")) as acme_x, XServer(keys=keys("beta")) as beta_x:
        acme_x.filter_duplicates = beta_x.filter_duplicates = False  # a second copy would be there to see
        for name in ("acme", "beta"):
            feeds.route(f"/{name}", rss(*(item(f"{name}-{slug}", f"{name.title()} {slug.replace('-', ' ')}", ESSAY,
                                                days_ago=i, host=f"{name}.substack.com")
                                           for i, slug in enumerate(SLUGS)), title=name.title()))
        config = tmp_path / "bot.toml"
        config.write_text(f"""
[publications.acme]
feeds = ["{feeds.url('/acme')}"]
accounts = {{x = "ACME_MAIN"}}
[publications.beta]
feeds = ["{feeds.url('/beta')}"]
""", encoding="utf-8")
        env = bot_env(tmp_path, "", None, DATABASE_URL=database, BOT_CONFIG=str(config), BOT_DAEMON_BACKLOG="latest",
                      BOT_DAEMON_BACKLOG_COUNT="3", BOT_FEED_TIMEOUT="3", BOT_X_TIMEOUT="5", BOT_LOG_FORMAT="text",
                      X_API_BASE_URL__ACME_MAIN=acme_x.url, X_API_BASE_URL__BETA=beta_x.url,
                      **{f"{k}__ACME_MAIN": v for k, v in keys("acme").items()},
                      **{f"{k}__BETA": v for k, v in keys("beta").items()})
        workers = [BotProcess(["run", "--once"], env, tmp_path, name=f"w{i}") for i in range(3)]
        try:
            codes = [w.proc.wait(120) for w in workers]
            said = [w.stderr() for w in workers]
        finally:
            for w in workers:
                w.kill()
        assert codes == [0, 0, 0], "\n".join(s[-1500:] for s in said)
        no_leaks(*said)
        for x, name, other in ((acme_x, "acme", "beta"), (beta_x, "beta", "acme")):
            texts = [p["text"] for p in x.posts]
            assert len(texts) == 9, texts  # 3 threads of 3 posts: a post made twice would be a tenth
            links = " ".join(texts)
            assert all(links.count(f"{name}.substack.com/p/{name}-{slug}") == 1 for slug in SLUGS), texts
            assert f"{other}.substack.com" not in links  # never on the other publication's account
        history = run_bot(["history", "--json", "--publication", "acme"], env, tmp_path)
        rows = json.loads(history.stdout)
        assert len(rows) == 3 and {r["status"] for r in rows} == {"posted"}, history.stderr
        assert {t["account"] for r in rows for t in r["tweets"]} == {"ACME_MAIN"}


def test_a_worker_killed_mid_claim_loses_nothing_and_posts_nothing_twice(tmp_path: Path, database: str) -> None:
    """A worker is SIGKILLed while X is still answering its post 2 (the post is made, the answer never read): its
    feed and entry claims name a process that is gone, so the next worker takes both over at once, finds post 2 on
    the account's timeline, and finishes the thread with post 3 only."""
    with FeedServer() as feeds, XServer(keys=keys("acme")) as acme_x:
        acme_x.filter_duplicates = False
        feeds.route("/acme", rss(item("acme-only", "Acme only note", ESSAY, host="acme.substack.com"), title="Acme"))
        config = tmp_path / "bot.toml"
        config.write_text(f'[publications.acme]\nfeeds = ["{feeds.url("/acme")}"]\n', encoding="utf-8")
        env = bot_env(tmp_path, "", None, DATABASE_URL=database, BOT_CONFIG=str(config), BOT_DAEMON_BACKLOG="latest",
                      BOT_FEED_TIMEOUT="3", BOT_X_TIMEOUT="5", BOT_X_CONFIRM_HORIZON="6", BOT_LOG_FORMAT="text",
                      X_API_BASE_URL__ACME=acme_x.url, **{f"{k}__ACME": v for k, v in keys("acme").items()})
        acme_x.fault("POST /2/tweets", "ok")
        acme_x.fault("POST /2/tweets", "slow", delay=4)
        with BotProcess(["run", "--once"], env, tmp_path, name="killed") as first:
            wait_until(lambda: acme_x.arrived.get("POST /2/tweets", 0) >= 2, 60, "post 2 sent", first)
            first.kill()
        wait_until(lambda: len(acme_x.posts) >= 2, 10, "X made post 2 after the worker died")
        second = run_bot(["run", "--once"], env, tmp_path)
        no_leaks(second.stdout, second.stderr)
        assert second.returncode == 0, second.stderr[-2000:]
        assert len(acme_x.posts) == 3, [p["text"] for p in acme_x.posts]  # one thread, post 2 not sent again
        rows = json.loads(run_bot(["history", "--json", "--publication", "acme"], env, tmp_path).stdout)
        assert [r["status"] for r in rows] == ["posted"] and len(rows[0]["tweets"]) == 3


@pytest.fixture(params=["sqlite", "postgres"])
def any_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    urls = iter([f"sqlite:///{tmp_path / 'bot.db'}"]) if request.param == "sqlite" else fresh_postgres()
    yield next(urls)
    for _ in urls:
        pass


def test_two_publications_sharing_an_account_share_its_cap_and_a_third_is_not_held_back(
        tmp_path: Path, any_database: str) -> None:
    with FeedServer() as feeds, XServer(keys=keys("shared")) as shared_x, XServer(keys=keys("own")) as own_x:
        for name in ("a", "b", "c"):
            feeds.route(f"/{name}", rss(item(f"{name}-note", f"Note of {name}", ESSAY, host=f"{name}.substack.com")))
        config = tmp_path / "bot.toml"
        config.write_text("".join(f'[publications.{n}]\nfeeds = ["{feeds.url("/" + n)}"]\naccounts = {{x = "{a}"}}\n'
                                  f"[publications.{n}.daemon]\ndaily_cap = 1\n"
                                  for n, a in (("a", "SHARED"), ("b", "SHARED"), ("c", "OWN"))), encoding="utf-8")
        env = bot_env(tmp_path, "", None, DATABASE_URL=any_database, BOT_CONFIG=str(config), BOT_DAEMON_BACKLOG="latest",
                      BOT_FEED_TIMEOUT="3", BOT_X_TIMEOUT="5", BOT_LOG_FORMAT="text",
                      X_API_BASE_URL__SHARED=shared_x.url, X_API_BASE_URL__OWN=own_x.url,
                      **{f"{k}__SHARED": v for k, v in keys("shared").items()},
                      **{f"{k}__OWN": v for k, v in keys("own").items()})
        done = run_bot(["run", "--once"], env, tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "daily cap of 1 threads reached on X account SHARED" in done.stderr, done.stderr[-2000:]
        assert len(shared_x.posts) == 3 and "a.substack.com/p/a-note" in shared_x.posts[-1]["text"]
        assert len(own_x.posts) == 3 and "c.substack.com/p/c-note" in own_x.posts[-1]["text"]
        rows = {r["key"]: r["status"] for r in json.loads(run_bot(["history", "--json"], env, tmp_path).stdout)}
        assert rows == {"/p/a-note": "posted", "/p/b-note": "new", "/p/c-note": "posted"}
