"""`bot post` end to end as a user runs it (a child process): local feed server → offline writer → title card →
the local X API (OAuth 1.0a checked) → SQLite store → thread.json, preview.html and the terminal.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.botproc import ENTRY, bot_env, run_bot
from twins.xserver import CREDENTIALS, XServer

pytestmark = pytest.mark.slow


@pytest.fixture
def x() -> Iterator[XServer]:
    with XServer() as server:
        yield server


def post(x: XServer, feed_url: str, tmp: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return run_bot(["post", "--feed", feed_url, "--entry", ENTRY, "--out", str(tmp / "out")],
                   bot_env(tmp, x.url, CREDENTIALS, **env), tmp)


def record(tmp: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((tmp / "out" / "thread.json").read_text(encoding="utf-8"))


def test_post_publishes_the_thread_with_its_image_once(x: XServer, feed_url: str, tmp_path: Path) -> None:
    first = post(x, feed_url, tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    thread = record(tmp_path)
    texts = [t["text"] for t in thread["tweets"]]
    assert len(texts) == 3 and [p["text"] for p in x.posts] == texts
    ids = [p["id"] for p in x.posts]
    assert [p["reply_to"] for p in x.posts] == [None, ids[0], ids[1]]  # a real thread: each replies to the last
    # the image: uploaded once (v2 media upload), its alt text set, attached to the first post only
    assert x.hits("POST /2/media/upload") == 1 and x.hits("POST /2/media/metadata") == 1
    (media_id,) = x.posts[0]["media_ids"]
    assert not x.posts[1]["media_ids"] and not x.posts[2]["media_ids"]
    media = x.media[media_id]
    assert media["mime"] == "image/jpeg" and media["alt_text"] == thread["image"]["alt_text"] != ""
    assert thread["image"]["source"] == "card" and (tmp_path / "out" / thread["image"]["path"]).is_file()
    assert thread["published"] == [{"network": "x", "position": n, "id": i, "tweet_id": i, "account": "default"} for n, i in enumerate(ids, 1)]
    assert all(f"tweet id {i}" in first.stdout for i in ids)
    assert "published: 3/3 tweets, thread complete." in first.stdout

    again = post(x, feed_url, tmp_path)  # the same entry again: nothing new, and not an error
    assert again.returncode == 0, again.stderr[-2000:]
    assert len(x.posts) == 3 and x.hits("POST /2/tweets") == 3 and x.hits("POST /2/media/upload") == 1
    assert record(tmp_path)["published"] == thread["published"]
    assert all(f"tweet id {i}" in again.stdout for i in ids)

    history = run_bot(["history", "--json"], bot_env(tmp_path), tmp_path)
    assert history.returncode == 0, history.stderr
    (row,) = json.loads(history.stdout)
    assert (row["link"], row["status"]) == (ENTRY, "posted")
    assert row["tweets"] == [{"network": "x", "position": n, "id": i, "tweet_id": i, "account": "default"} for n, i in enumerate(ids, 1)]

    # the fake secrets never reach the terminal, the files a user shares, or the database
    written = [first.stdout, first.stderr, again.stdout, again.stderr, history.stdout, history.stderr,
               (tmp_path / "out" / "thread.json").read_text(encoding="utf-8"),
               (tmp_path / "out" / "preview.html").read_text(encoding="utf-8")]
    database = (tmp_path / "bot.db").read_bytes()
    for secret in CREDENTIALS.values():
        assert not any(secret in text for text in written), secret
        assert secret.encode() not in database


def test_replies_refused_finish_as_quotes_and_say_so(x: XServer, feed_url: str, tmp_path: Path) -> None:
    x.forbid_replies = True  # X's reply restrictions since Feb 2026: 403 on a programmatic reply
    result = post(x, feed_url, tmp_path, BOT_X_REPLY_FALLBACK="quote")
    assert result.returncode == 0, result.stderr[-2000:]
    ids = [p["id"] for p in x.posts]
    assert len(ids) == 3 and all(p["reply_to"] is None for p in x.posts)
    assert [p["quote_of"] for p in x.posts] == [None, ids[0], ids[1]]  # each quotes the one before
    assert [p["text"] for p in x.posts] == [t["text"] for t in record(tmp_path)["tweets"]]
    assert record(tmp_path)["published"] == [{"network": "x", "position": n, "id": i, "tweet_id": i, "account": "default"} for n, i in enumerate(ids, 1)]
    said = " ".join(result.stdout.split())  # the terminal may wrap the note
    assert "X refused post 2 as a reply" in said and "quote the post before instead" in said
    assert "thread complete" in said


def test_a_thread_larger_than_the_daily_budget_is_refused_before_any_post(x: XServer, feed_url: str,
                                                                         tmp_path: Path) -> None:
    result = post(x, feed_url, tmp_path, BOT_X_POSTS_PER_DAY="2")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("bot: error:")]
    assert errors == ["bot: error: the thread needs 3 post(s) but x.posts_per_day is 2, so it can never fit — "
                      "raise x.posts_per_day, or lower thread.tweets (x.thread_mode = single posts one)"], result.stderr
    assert x.posts == [] and x.requests == []  # not even the image was uploaded
    assert "Traceback" not in result.stderr
