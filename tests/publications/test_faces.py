"""What people see of publications: /metrics by publication and network; a publication filter naming an unknown
publication is one line."""

from __future__ import annotations

from pathlib import Path

from helpers.botproc import bot_env, run_bot
from starlette.testclient import TestClient

from bot.core import settings as config
from bot.core.clock import FakeClock
from bot.core.records import Entry, PublishedTweet
from bot.state.store import Store
from bot.web.app import create_app


def test_metrics_count_posts_by_publication_and_network(tmp_path: Path) -> None:
    settings = config.load({"BOT_STORE_SQLITE_PATH": str(tmp_path / "bot.db")}, dotenv=None)
    with Store.open(None, settings) as store:
        for publication, feed in (("acme", "https://a.example/feed"), ("beta", "https://b.example/feed")):
            store.upsert_entries(feed, [Entry(feed=feed, key="/p/one", guid="g", link="l", title="t")], "posted", 1.0,
                                 publication)
            store.ledger(feed, "/p/one", account=publication.upper()).record(PublishedTweet(1, f"{publication}-1"))
        store.ledger("https://a.example/feed", "/p/one", account="ACME").record(PublishedTweet(2, "acme-2"))
        text = TestClient(create_app(settings, store, FakeClock()), base_url="http://127.0.0.1").get("/metrics").text
    assert 'bot_publication_posts_total{network="x",publication="acme"} 2.0' in text, text
    assert 'bot_publication_posts_total{network="x",publication="beta"} 1.0' in text
    assert 'bot_publication_entries{publication="acme",status="posted"} 1.0' in text


def test_an_unknown_publication_in_a_filter_is_one_line(tmp_path: Path) -> None:
    config_file = tmp_path / "bot.toml"
    config_file.write_text('[publications.acme]\nfeeds = ["https://a.example/feed"]\n', encoding="utf-8")
    env = bot_env(tmp_path, BOT_CONFIG=str(config_file))
    for command in (["history", "--publication", "nope"], ["drafts", "--publication", "nope"]):
        done = run_bot(command, env, tmp_path)
        assert done.returncode != 0 and done.stderr.strip().count("\n") == 0, done.stderr
        assert "no publication named 'nope'" in done.stderr and "acme" in done.stderr
