"""Review before posting, through the real `bot` command: drafts prepared in approve mode, edited under the model's
checks, approved onto the local X API exactly once, rejected for good, announced to a webhook."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.botproc import ENTRY, bot_env, run_bot
from twins.xserver import CREDENTIALS, XServer

pytestmark = pytest.mark.slow


@pytest.fixture
def x() -> Iterator[XServer]:
    with XServer() as server:
        yield server


def bot(args: list[str], tmp: Path, x: XServer, **env: str) -> subprocess.CompletedProcess[str]:
    return run_bot(args, bot_env(tmp, x.url, CREDENTIALS, **env), tmp)


def drafts(tmp: Path, x: XServer, *extra: str) -> list[dict[str, Any]]:
    done = bot(["drafts", "--json", *extra], tmp, x)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def draft_post(tmp: Path, x: XServer, feed_url: str, entry: str = ENTRY) -> subprocess.CompletedProcess[str]:
    done = bot(["post", "--draft", "--feed", feed_url, "--entry", entry, "--out", str(tmp / "out")], tmp, x)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def test_post_draft_queues_edit_is_checked_and_approve_posts_once(x: XServer, feed_url: str, tmp_path: Path) -> None:
    draft_post(tmp_path, x, feed_url)
    assert x.posts == [] and x.hits("POST /2/tweets") == 0  # a draft publishes nothing
    (d,) = drafts(tmp_path, x)
    assert d["state"] == "draft" and d["link"] == ENTRY and d["title"] == "Why small newsletters win"
    assert len(d["tweets"]) == 3 and all(0 < t["weighted_length"] <= 280 for t in d["tweets"])
    assert d["created"].endswith("+00:00")
    record = json.loads((tmp_path / "out" / "thread.json").read_text())
    assert record["review"]["state"] == "draft" and record["published"] == []

    ident = str(d["id"])
    refused = [
        (["--tweet", "2", "--text", "Read this https://evil.example.com/x now"], "evil.example.com"),
        (["--tweet", "2", "--text", "Ask @mallory about it"], "@mallory"),
        (["--tweet", "2", "--text", "界" * 141], "282/280"),
        (["--tweet", "9", "--text", "hello"], "no tweet 9"),
    ]
    for args, reason in refused:
        done = bot(["drafts", "edit", ident, *args], tmp_path, x)
        assert done.returncode != 0 and reason in done.stderr, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert drafts(tmp_path, x)[0]["tweets"] == d["tweets"]  # nothing of a refused edit was kept

    edited = "Small lists, loyal readers: 😀 界 — and a link to the post itself " + ENTRY
    done = bot(["drafts", "edit", ident, "--tweet", "2", "--text", edited], tmp_path, x)
    assert done.returncode == 0, done.stderr
    done = bot(["drafts", "edit", ident, "--alt", "A title card reading Why small newsletters win"], tmp_path, x)
    assert done.returncode == 0, done.stderr
    (d,) = drafts(tmp_path, x)
    assert d["tweets"][1]["text"] == edited and d["alt_text"].startswith("A title card")

    approved = bot(["drafts", "approve", ident], tmp_path, x)
    assert approved.returncode == 0, approved.stderr[-2000:]
    assert [p["text"] for p in x.posts] == [t["text"] for t in d["tweets"]]
    assert x.media[x.posts[0]["media_ids"][0]]["alt_text"] == d["alt_text"]
    for post in x.posts:
        assert post["id"] in approved.stdout
    again = bot(["drafts", "approve", ident], tmp_path, x)  # approving twice posts nothing more
    assert again.returncode == 0 and len(x.posts) == 3 and x.hits("POST /2/tweets") == 3
    assert drafts(tmp_path, x) == []  # nothing waits any more
    (d,) = drafts(tmp_path, x, "--all")
    assert d["state"] == "posted" and [p["tweet_id"] for p in d["published"]] == [p["id"] for p in x.posts]

    history = bot(["history", "--json"], tmp_path, x)
    (row,) = json.loads(history.stdout)
    assert row["status"] == "posted" and row["review"]["state"] == "posted" and row["review"]["via"] == "cli"
    record = json.loads((tmp_path / "out" / "thread.json").read_text())
    assert record["review"]["state"] == "posted" and len(record["published"]) == 3


def test_rejected_draft_is_never_posted_nor_prepared_again(x: XServer, feed_url: str, tmp_path: Path) -> None:
    draft_post(tmp_path, x, feed_url)
    ident = str(drafts(tmp_path, x)[0]["id"])
    assert bot(["drafts", "reject", ident], tmp_path, x).returncode == 0
    assert drafts(tmp_path, x) == []
    assert bot(["drafts", "approve", ident], tmp_path, x).returncode != 0
    assert bot(["drafts", "edit", ident, "--tweet", "1", "--text", "x"], tmp_path, x).returncode != 0
    forced = bot(["post", "--feed", feed_url, "--entry", ENTRY, "--out", str(tmp_path / "out")], tmp_path, x)
    assert forced.returncode != 0 and "rejected" in forced.stderr
    assert bot(["retry", ENTRY], tmp_path, x).returncode == 0
    for _ in range(2):
        done = bot(["run", "--once"], tmp_path, x, BOT_FEED_URL=feed_url, BOT_DAEMON_BACKLOG="latest",
                   BOT_DAEMON_BACKLOG_COUNT="3", BOT_REVIEW_MODE="approve")
        assert done.returncode == 0, done.stderr[-2000:]
    assert x.posts == [] and x.hits("POST /2/tweets") == 0 and x.hits("POST /2/media/upload") == 0
    states = {d["link"]: d["state"] for d in drafts(tmp_path, x, "--all")}
    assert states[ENTRY] == "rejected" and list(states.values()).count("draft") == 2  # the other two wait
    (row,) = [r for r in json.loads(bot(["history", "--json"], tmp_path, x).stdout) if r["link"] == ENTRY]
    assert row["review"]["state"] == "rejected" and row["review"]["via"] == "cli" and row["tweets"] == []


def test_approve_mode_daemon_drafts_and_publishes_a_scheduled_draft_when_due(x: XServer, feed_url: str,
                                                                              tmp_path: Path) -> None:
    env = dict(BOT_FEED_URL=feed_url, BOT_DAEMON_BACKLOG="latest", BOT_REVIEW_MODE="approve")
    done = bot(["run", "--once"], tmp_path, x, **env)
    assert done.returncode == 0, done.stderr[-2000:]
    (d,) = drafts(tmp_path, x)
    assert d["state"] == "draft" and x.posts == []
    assert bot(["run", "--once"], tmp_path, x, **env).returncode == 0
    assert x.posts == [] and len(drafts(tmp_path, x)) == 1  # waiting, not prepared twice

    later = bot(["drafts", "approve", str(d["id"]), "--at", "2099-01-01T09:00:00Z"], tmp_path, x)
    assert later.returncode == 0 and "2099-01-01T09:00:00+00:00" in later.stdout, later.stderr
    assert bot(["run", "--once"], tmp_path, x, **env).returncode == 0
    assert x.posts == [] and drafts(tmp_path, x)[0]["state"] == "scheduled"

    soon = bot(["drafts", "approve", str(d["id"]), "--at", "2020-01-01T00:00:00+00:00"], tmp_path, x)
    assert soon.returncode == 0, soon.stderr  # a time already past: approved now, published by this command
    assert len(x.posts) == 3
    assert bot(["run", "--once"], tmp_path, x, **env).returncode == 0
    assert len(x.posts) == 3 and x.hits("POST /2/tweets") == 3


def test_scheduled_draft_is_published_by_the_daemon(x: XServer, feed_url: str, tmp_path: Path) -> None:
    env = dict(BOT_FEED_URL=feed_url, BOT_DAEMON_BACKLOG="latest", BOT_REVIEW_MODE="approve")
    assert bot(["run", "--once"], tmp_path, x, **env).returncode == 0
    (d,) = drafts(tmp_path, x)
    import sqlite3

    assert bot(["drafts", "approve", str(d["id"]), "--at", "2099-01-01T00:00:00Z"], tmp_path, x).returncode == 0
    with sqlite3.connect(tmp_path / "bot.db") as db:  # the clock moves on: the time has come
        db.execute("UPDATE entries SET next_attempt = 1 WHERE status = 'scheduled'")
    done = bot(["run", "--once"], tmp_path, x, **env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert [p["text"] for p in x.posts] == [t["text"] for t in d["tweets"]]
    assert drafts(tmp_path, x, "--all")[0]["state"] == "posted"


def test_notify_url_gets_a_slack_and_discord_message_and_a_failure_is_retried(x: XServer, feed_url: str,
                                                                              tmp_path: Path, httpserver: Any) -> None:
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("down", status=500)
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("ok")
    env = dict(BOT_FEED_URL=feed_url, BOT_DAEMON_BACKLOG="latest", BOT_REVIEW_MODE="approve",
               BOT_REVIEW_NOTIFY_URL=httpserver.url_for("/hook"), BOT_WEB_PUBLIC_URL="https://review.example.org/")
    first = bot(["run", "--once"], tmp_path, x, **env)
    assert first.returncode == 0 and "failed" in first.stderr, first.stderr[-2000:]  # logged, not fatal
    assert len(drafts(tmp_path, x)) == 1
    import sqlite3

    with sqlite3.connect(tmp_path / "bot.db") as db:  # a minute later
        db.execute("UPDATE drafts SET updated_at = updated_at - 120")
    assert bot(["run", "--once"], tmp_path, x, **env).returncode == 0
    assert bot(["run", "--once"], tmp_path, x, **env).returncode == 0  # delivered once: not sent again
    bodies = [json.loads(request.get_data()) for request, _ in httpserver.log]
    assert len(bodies) == 2 and bodies[0] == bodies[1]
    body = bodies[1]
    assert body["text"] == body["content"] and "Why small newsletters win" in body["text"]
    assert f"https://review.example.org/drafts/{drafts(tmp_path, x)[0]['id']}" in body["text"]


@pytest.mark.parametrize("verb", [["show"], ["reject"], ["edit", "--tweet", "1", "--text", "hi"]])
@pytest.mark.parametrize("draft_id", ["99999999999999999999999", "9223372036854775808", "٣", "1e3"])
def test_an_impossible_draft_id_is_one_line_not_an_internal_error(verb: list[str], draft_id: str, x: XServer,
                                                                   tmp_path: Path) -> None:
    """An id no database integer can hold (or that is not ASCII digits) is `no draft`, exit 1, never a traceback."""
    done = bot(["drafts", verb[0], draft_id, *verb[1:]], tmp_path, x)
    assert done.returncode == 1, done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and f"no draft {draft_id}" in done.stderr
