"""Releasing a held LinkedIn entry through the real `bot` command: a post whose answer was lost, with a token that
may not read posts back, holds the entry (never sent again on a guess); `bot retry ENTRY --not-posted`, once a person
has looked and found it missing, releases it and the next run posts it once. The command refuses, changing nothing,
an entry that holds nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.botproc import ENTRY, bot_env, run_bot
from twins.linkedin import AUTHOR, TOKEN, LinkedInTwin

pytestmark = pytest.mark.slow  # child processes


def test_a_held_entry_is_released_by_retry_not_posted_and_then_posted_once(feed_url: str, tmp_path: Path) -> None:
    with LinkedInTwin() as li:
        env = bot_env(tmp_path, "", {"LINKEDIN_ACCESS_TOKEN": TOKEN, "LINKEDIN_AUTHOR": AUTHOR,
                                     "LINKEDIN_BASE_URL": li.base}, BOT_NETWORKS="linkedin", BOT_LINKEDIN_TIMEOUT="1")
        post = ["post", "--feed", feed_url, "--entry", ENTRY, "--out", str(tmp_path / "out")]
        li.scopes.discard("r_member_social")
        li.fault("POST /rest/posts", "drop")
        first = run_bot(post, env, tmp_path)
        assert first.returncode != 0 and "look at the LinkedIn profile" in first.stderr
        assert "Traceback" not in first.stderr and len(li.posts) == 1
        again = run_bot(post, env, tmp_path)  # held: a later run sends nothing either
        assert again.returncode != 0 and len(li.posts) == 1

        li.posts.clear()  # the person looked: it is not on the profile (taken down, or never shown)
        released = run_bot(["retry", ENTRY, "--not-posted"], env, tmp_path)
        assert released.returncode == 0, released.stderr
        assert "released LinkedIn post 1" in released.stdout
        done = run_bot(post, env, tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
        assert len(li.posts) == 1 and "LinkedIn 1/1 posts" in done.stdout  # one post, counted as one
        record = json.loads((tmp_path / "out" / "thread.json").read_text())
        assert [(p["network"], p["id"]) for p in record["published"]] == [("linkedin", li.posts[0]["id"])]

        refused = run_bot(["retry", ENTRY, "--not-posted"], env, tmp_path)  # posted: nothing is held
        lines = refused.stderr.strip().splitlines()
        assert refused.returncode != 0 and len(lines) == 1 and "holds no post of unknown outcome" in lines[0]
        assert len(li.posts) == 1
