"""Every network beside X: the ledger keyed by network, old X rows kept, each network's own count and limit,
X's made_with_ai disclosure, and `bot post --dry-run` showing each configured network's thread."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
import regex
from helpers.json_ledger import JSONLedger
from helpers.xkit import make_thread, png, settings_for
from twins.xserver import CREDENTIALS, XServer

from bot.core import settings as config
from bot.core.clock import FakeClock
from bot.core.errors import ConfigError
from bot.core.records import Article, Block, Draft, Entry, PublishedTweet, ThreadSpec
from bot.networks.bluesky.length import COUNTER as BLUESKY
from bot.networks.mastodon.length import counter as mastodon_counter
from bot.networks.x.client import XClient
from bot.networks.x.thread import XPublisher
from bot.state.schema import LATEST, MIGRATIONS
from bot.state.store import Store
from bot.tweets import shape

ROOT = Path(__file__).resolve().parents[2]


def test_a_database_from_before_networks_keeps_its_x_posts(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:  # the schema as version 1 left it, with a half-posted thread
        conn.execute(text("CREATE TABLE schema_version (version INTEGER NOT NULL)"))
        for statement in MIGRATIONS[0][1]:
            conn.execute(text(statement))
        conn.execute(text("INSERT INTO schema_version VALUES (1)"))
        conn.execute(text("""INSERT INTO entries (feed, key, title, status, created_at, updated_at)
                             VALUES ('F', '/p/a', 'A', 'partial', 1, 1)"""))
        conn.execute(text("""INSERT INTO tweets (feed, entry_key, position, text, tweet_id, media_id, posted_at)
                             VALUES ('F', '/p/a', 1, 'one', '111', 'm1', 5), ('F', '/p/a', 2, 'two', '222', '', 6)"""))
        conn.execute(text("INSERT INTO tweets (feed, entry_key, position, pending_at) VALUES ('F', '/p/a', 3, 7)"))
    engine.dispose()
    settings = config.load({}, dotenv=None)
    with Store.open(url, settings) as store:
        assert f"schema v{LATEST}" in store.health()
        x = store.ledger("F", "/p/a")
        assert x.done() == {1: PublishedTweet(1, "111", "m1"), 2: PublishedTweet(2, "222")}
        assert x.pending_positions() == {3}  # still looked for before it is sent again
        assert store.ledger("F", "/p/a", network="bluesky").done() == {}
        assert store.history(5)[0]["tweets"] == [
            {"network": "x", "position": 1, "id": "111", "tweet_id": "111", "account": "default"},
            {"network": "x", "position": 2, "id": "222", "tweet_id": "222", "account": "default"}]


def test_each_network_has_its_own_ledger_and_only_x_counts_against_xs_budget(tmp_path: Path) -> None:
    settings = config.load({}, dotenv=None)
    with Store.open(f"sqlite:///{tmp_path / 'bot.db'}", settings) as store:
        store.upsert_entries("F", [Entry("F", "/p/a", "g", "https://a.example/p/a", "A")], "new", 1)
        x = store.ledger("F", "/p/a", now=lambda: 100.0)
        sky = store.ledger("F", "/p/a", now=lambda: 100.0, network="bluesky")
        x.record(PublishedTweet(1, "111"))
        sky.pending(1)
        assert sky.pending_positions() == {1} and x.pending_positions() == set()
        sky.record(PublishedTweet(1, "at://did:plc:abc/app.bsky.feed.post/3kabc", network="bluesky", ref="bafycid"))
        sky.record(PublishedTweet(2, "at://did:plc:abc/app.bsky.feed.post/3kabd", network="bluesky", ref="bafycid2"))
        assert set(sky.done()) == {1, 2} and sky.done()[1].ref == "bafycid" and sky.done()[1].network == "bluesky"
        assert set(x.done()) == {1}
        assert store.posts_since(0) == 1  # Bluesky posts are not X posts
        assert store.threads_since(0) == 1  # one thread, however many networks
        tweets = store.history(5)[0]["tweets"]
        assert tweets[0] == {"network": "x", "position": 1, "id": "111", "tweet_id": "111", "account": "default"}
        assert tweets[1] == {"network": "bluesky", "position": 1, "id": "at://did:plc:abc/app.bsky.feed.post/3kabc",
                             "account": "default"}


@pytest.mark.parametrize("source, disclosed", [("hf", True), ("gradio", True), ("card", False), ("cover", False)])
def test_x_discloses_a_model_made_image_on_the_post_that_carries_it(tmp_path: Path, source: str, disclosed: bool) -> None:
    clock = FakeClock()
    thread = make_thread(image=png(tmp_path / "i.png"))
    thread = dataclasses.replace(thread, image=dataclasses.replace(thread.image, source=source))
    with XServer(clock=clock.time) as x:
        settings = settings_for(x.url, CREDENTIALS)
        posted = XPublisher(XClient(settings, settings.secrets, clock), settings, clock).publish(
            thread, JSONLedger(tmp_path / "l.json"))
        assert posted.complete
        assert [p["made_with_ai"] for p in x.posts] == [disclosed, False, False]
        assert x.posts[0]["media_ids"] and not x.posts[1]["media_ids"]


def _graphemes(text: str) -> int:
    return len(regex.findall(r"\X", text))


@pytest.mark.parametrize("text, expected", [
    ("hello", 5),
    ("👩‍👩‍👧‍👦 family", 8),  # one ZWJ sequence is one grapheme
    ("e\u0301", 1),  # a combining accent joins its letter
    ("🇯🇵" * 10, 10),  # 80 bytes: graphemes decide
    ("a" * 300, 300),
    ("𒀀" * 300, 300),  # 1200 bytes is 120 by the byte rule: graphemes decide
])
def test_bluesky_counts_graphemes(text: str, expected: int) -> None:
    assert BLUESKY(text) == expected


def test_a_post_of_300_heavy_graphemes_is_too_many_bytes_for_bluesky() -> None:
    text = "👩‍👩‍👧‍👦" * 120  # 120 graphemes, 25 bytes each: 3000 bytes
    assert _graphemes(text) == 120 and len(text.encode()) == 3000 and BLUESKY(text) == 300
    assert BLUESKY(text + "x") == 301  # 3001 bytes: over, though far under 300 graphemes


@pytest.mark.parametrize("text, per_url, expected", [
    ("see https://example.com/a/very/long/path/that/goes/on and on", 23, 4 + 23 + 7),
    ("see example.com/path", 23, 20),  # no scheme: Mastodon counts it as text
    ("two https://a.org/x https://b.net/y", 30, 4 + 30 + 1 + 30),
    ("日本語", 23, 3),
])
def test_mastodon_counts_characters_with_urls_at_the_instances_number(text: str, per_url: int, expected: int) -> None:
    assert mastodon_counter(500, per_url)(text) == expected


def _article(text: str) -> Article:
    entry = Entry("F", "/p/a", "https://n.example/p/a", "https://n.example/p/a", "A title")
    return Article(entry, (Block("paragraph", text), Block("paragraph", "And then, another thought: " + text)))


@pytest.mark.parametrize("body", ["日本語の文章です。" * 60, "Emoji time 🐦‍🔥🎉 " * 40, "word " * 200])
def test_one_draft_fits_every_network_by_its_own_rule(body: str) -> None:
    draft = Draft((body, "And then, another thought: " + body, "short one"))
    spec = ThreadSpec(tweets=3)
    for counter in (BLUESKY, mastodon_counter(500, 23), mastodon_counter(11_000, 23)):
        tweets, _ = shape.check(draft, _article(body), spec, counter=counter)
        assert len(tweets) == 3
        for tweet in tweets:
            assert tweet.weighted_length == counter(tweet.text) <= counter.limit
            if counter is BLUESKY:
                assert _graphemes(tweet.text) <= 300 and len(tweet.text.encode()) <= 3000


def test_unknown_network_is_one_clear_error() -> None:
    with pytest.raises(ConfigError, match="networks names 'myspace'.*allowed: x, bluesky, mastodon"):
        config.load({"BOT_NETWORKS": "x,myspace"}, dotenv=None)
    assert config.load({"BOT_NETWORKS": " Bluesky , mastodon,bluesky"}, dotenv=None).networks == ["bluesky", "mastodon"]
    assert config.load({}, dotenv=None).networks == ["x"]


def test_networks_in_the_settings_file_is_a_top_level_key(tmp_path: Path) -> None:
    path = tmp_path / "bot.toml"
    path.write_text('networks = ["mastodon"]\n\n[mastodon]\nvisibility = "unlisted"\n', encoding="utf-8")
    settings = config.load({"BOT_CONFIG": str(path)}, dotenv=None)
    assert settings.networks == ["mastodon"] and settings.mastodon.visibility == "unlisted"
    assert config.load({"BOT_CONFIG": str(path), "BLUESKY_SERVICE": "http://127.0.0.1:1"},
                       dotenv=None).bluesky.service == "http://127.0.0.1:1"


def test_dry_run_shows_each_networks_thread_with_its_own_counter(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "BOT_NETWORKS": "x,bluesky,mastodon", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "bot", "post", "--dry-run", "--out", str(tmp_path / "out")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.index("X") < out.index("Bluesky") < out.index("Mastodon")
    assert regex.search(r"\b\d+/280\b", out) and regex.search(r"\b\d+/300\b", out) and regex.search(r"\b\d+/500\b", out)
    record = json.loads((tmp_path / "out" / "thread.json").read_text())
    threads = record["threads"]
    assert list(threads) == ["x", "bluesky", "mastodon"]
    assert threads["bluesky"]["limit"] == 300 and threads["mastodon"]["limit"] == 500
    for post in threads["bluesky"]["tweets"]:
        assert _graphemes(post["text"]) <= 300 and len(post["text"].encode()) <= 3000
    assert record["tweets"] == threads["x"]["tweets"]
    page = (tmp_path / "out" / "preview.html").read_text()
    for name in ("x", "bluesky", "mastodon"):
        assert f'data-network="{name}"' in page
    assert "/300</span>" in page and "/500</span>" in page and "/280</span>" in page


def test_history_names_each_posts_network(tmp_path: Path) -> None:
    from helpers.botproc import bot_env, run_bot

    from bot.web.app import post_link

    env = bot_env(tmp_path)
    settings = config.load({"BOT_STORE_SQLITE_PATH": str(tmp_path / "bot.db")}, dotenv=None)
    with Store.open(None, settings) as store:
        store.upsert_entries("F", [Entry("F", "/p/a", "g", "https://a.example/p/a", "A")], "posted", 1)
        store.ledger("F", "/p/a").record(PublishedTweet(1, "111"))
        uri = "at://did:plc:abc/app.bsky.feed.post/3kabc"
        store.ledger("F", "/p/a", network="bluesky").record(PublishedTweet(1, uri, network="bluesky", ref="cid"))
        store.ledger("F", "/p/a", network="mastodon").record(PublishedTweet(1, "1099", network="mastodon"))
    shown = run_bot(["history"], env, tmp_path)
    assert shown.returncode == 0, shown.stderr
    flat = "".join(shown.stdout.split())
    assert "111" in flat and f"bluesky:{uri}" in flat and "mastodon:1099" in flat
    assert post_link({"network": "bluesky", "id": uri}) == ("bluesky 3kabc", "https://bsky.app/profile/did:plc:abc/post/3kabc")
    assert post_link({"network": "x", "id": "111", "tweet_id": "111"}) == ("111", "https://x.com/i/status/111")


def test_an_x_handle_never_reaches_mastodon_where_it_would_mention_an_account_of_that_name() -> None:
    # Mastodon makes a bare @name a mention of its own instance's account of that name (and notifies it):
    # the article's @quietindex on X is somebody else there. X keeps it; Bluesky shows it as plain text.
    entry = Entry("F", "/p/a", "https://quietindex.org/p/a", "https://quietindex.org/p/a", "A title")
    article = Article(entry, (Block("paragraph", "Rates fell again this year. Thanks to @quietindex on X for the data. "
                                                 "Prices rose in the spring."),), mentions=frozenset({"quietindex"}))
    draft = Draft(("Rates fell again this year.", "Thanks to @quietindex for the data.", "Prices rose in the spring."))
    from bot.networks.x.length import COUNTER as X
    from bot.run.pipeline import fit_networks

    fitted, _ = fit_networks(draft, article, ThreadSpec(tweets=3), (X, BLUESKY, mastodon_counter(500, 23)))
    texts = {t.network: "\n".join(post.text for post in t.tweets) for t in fitted}
    assert "@quietindex" in texts["x"] and "@quietindex" in texts["bluesky"]
    assert "@" not in texts["mastodon"] and "Rates fell again this year." in texts["mastodon"]
