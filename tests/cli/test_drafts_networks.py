"""Review with every network: `bot drafts` shows, checks and saves each network's own thread (its own count and
limit), and approving publishes each edited thread exactly once, onto the local X API, the local Mastodon-shaped
server and Bluesky's own PDS. Lengths here are known by construction (characters chosen for how each network
counts them), and what arrived is read back from each server, never from the bot."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.botproc import ENTRY, bot_env, run_bot
from helpers.pds import posts, running_pds
from twins.mastodonserver import TOKEN, MastodonServer
from twins.xserver import CREDENTIALS, XServer

pytestmark = pytest.mark.slow


class World:
    """The three networks and the bot's environment pointing at them."""

    def __init__(self, tmp: Path, x: XServer, masto: MastodonServer, pds: dict[str, Any]) -> None:
        self.tmp, self.x, self.masto, self.pds = tmp, x, masto, pds
        self.env = bot_env(tmp, x.url, {**CREDENTIALS, "MASTODON_ACCESS_TOKEN": TOKEN,
                                        "BLUESKY_HANDLE": pds["handle"], "BLUESKY_APP_PASSWORD": pds["password"]},
                           BOT_NETWORKS="x,bluesky,mastodon", MASTODON_BASE_URL=masto.url, BLUESKY_SERVICE=pds["url"],
                           BOT_BLUESKY_SESSION_FILE=str(tmp / "session.json"))

    def bot(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_bot(list(args), self.env, self.tmp)

    def drafts(self) -> list[dict[str, Any]]:
        done = self.bot("drafts", "--json", "--all")
        assert done.returncode == 0, done.stderr
        return list(json.loads(done.stdout))


@pytest.fixture
def world(tmp_path: Path, feed_url: str) -> Iterator[World]:
    with XServer() as x, MastodonServer(max_characters=500, per_url=23) as masto, running_pds(tmp_path) as pds:
        w = World(tmp_path, x, masto, pds)
        done = w.bot("post", "--draft", "--feed", feed_url, "--entry", ENTRY, "--out", str(tmp_path / "out"))
        assert done.returncode == 0, done.stderr[-2000:]
        yield w


def refused(done: subprocess.CompletedProcess[str]) -> str:
    """The one line an edit was refused with (exit 2, no traceback)."""
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    return done.stderr


def test_each_networks_thread_is_edited_by_its_own_count_and_approve_posts_each_once(world: World) -> None:
    (draft,) = world.drafts()
    did = str(draft["id"])
    threads = draft["threads"]
    assert set(threads) == {"x", "bluesky", "mastodon"} and draft["tweets"] == threads["x"]
    shown = world.bot("drafts", "show", did).stdout
    for network, limit in (("x", 280), ("bluesky", 300), ("mastodon", 500)):
        for post in threads[network]:
            assert f"· {post['weighted_length']}/{limit}" in shown and post["text"] in shown

    # 200 CJK characters: 200 graphemes, 600 bytes (Bluesky takes them) but 400 weighted on X (X does not).
    cjk = "界" * 200
    assert "tweet 2 is 400/280" in refused(world.bot("drafts", "edit", did, "--tweet", "2", "--text", cjk))
    done = world.bot("drafts", "edit", did, "--network", "bluesky", "--tweet", "2", "--text", cjk)
    assert done.returncode == 0 and "Bluesky post 2 saved (200/300)" in done.stdout, done.stderr
    over = "a" * 301
    assert "Bluesky post 1 is 301/300: shorten it by 1" in refused(
        world.bot("drafts", "edit", did, "--network", "bluesky", "--tweet", "1", "--text", over))
    assert "links to https://evil.com/x" in refused(
        world.bot("drafts", "edit", did, "--network", "bluesky", "--tweet", "1", "--text", "See https://evil.com/x"))
    # Mastodon counts the article's link as 23 whatever its length: 23 + 1 + 476 = 500, though it is 538 characters.
    fits, too_long = f"{ENTRY}\n" + "b" * 476, f"{ENTRY}\n" + "b" * 477
    assert len(fits) > 500
    assert "Mastodon post 1 is 501/500" in refused(
        world.bot("drafts", "edit", did, "--network", "mastodon", "--tweet", "1", "--text", too_long))
    done = world.bot("drafts", "edit", did, "--network", "mastodon", "--tweet", "1", "--text", fits)
    assert done.returncode == 0 and "Mastodon post 1 saved (500/500)" in done.stdout, done.stderr
    assert "there is no Mastodon post 9" in refused(
        world.bot("drafts", "edit", did, "--network", "mastodon", "--tweet", "9", "--text", "x"))

    (edited,) = world.drafts()
    want = {n: [t["text"] for t in ts] for n, ts in edited["threads"].items()}
    assert want["x"] == [t["text"] for t in threads["x"]]  # X's thread is untouched by the others' edits
    assert want["bluesky"][1] == cjk and want["mastodon"][0] == fits
    assert want["bluesky"][0] == threads["bluesky"][0]["text"]  # a refused edit saved nothing

    approved = world.bot("drafts", "approve", did)
    assert approved.returncode == 0, approved.stderr[-2000:]
    assert [p["text"] for p in world.x.posts] == want["x"]
    assert [s["text"] for s in world.masto.statuses] == want["mastodon"]
    assert [r["value"]["text"] for r in posts(world.pds)] == want["bluesky"]
    assert "X, Bluesky, Mastodon" in approved.stdout
    again = world.bot("drafts", "approve", did)
    assert again.returncode == 0 and "was already published" in again.stdout
    assert len(world.x.posts) == len(want["x"]) and len(world.masto.statuses) == len(want["mastodon"])
    assert len(posts(world.pds)) == len(want["bluesky"])
    (final,) = world.drafts()
    assert final["state"] == "posted"
    assert {(p["network"], p["position"]) for p in final["published"]} == {
        (n, i) for n, texts in want.items() for i in range(1, len(texts) + 1)}


def test_a_network_configured_after_review_gets_no_thread_nobody_saw(tmp_path: Path, feed_url: str) -> None:
    """A draft reviewed with X alone, approved after Mastodon was added: X gets the thread as approved (with its
    edit); Mastodon gets nothing unseen, and one line says so."""
    with XServer() as x, MastodonServer() as masto:
        env = bot_env(tmp_path, x.url, {**CREDENTIALS, "MASTODON_ACCESS_TOKEN": TOKEN}, MASTODON_BASE_URL=masto.url)
        done = run_bot(["post", "--draft", "--feed", feed_url, "--entry", ENTRY, "--out", str(tmp_path / "out")], env,
                       tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
        edited = "Small lists win: a thousand readers who would miss you beat a hundred thousand who would not."
        assert run_bot(["drafts", "edit", "1", "--tweet", "2", "--text", edited], env, tmp_path).returncode == 0
        approved = run_bot(["drafts", "approve", "1"], {**env, "BOT_NETWORKS": "x,mastodon"}, tmp_path)
        assert approved.returncode == 0, approved.stderr[-2000:]
        assert x.posts and x.posts[1]["text"] == edited
        assert masto.statuses == []  # nothing a reviewer never saw
        assert approved.stderr.count("the approved draft has no Mastodon thread") == 1
