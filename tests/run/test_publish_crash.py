"""Kill the publishing process with SIGKILL at every step of a thread, restart it: the thread completes, nothing twice.

The local X API runs in this test process, so it outlives the killed child. Two children: tests/helpers/publish_one.py
(XPublisher alone, its progress in a fsynced JSON ledger, paused on cue between any two steps), and the real
`bot post` (CLI, SQLite store, ledger and claim), stopped while X holds one of its requests.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import on_x
from helpers.botproc import ENTRY, BotProcess, bot_env, run_bot, wait_until
from helpers.json_ledger import JSONLedger
from helpers.xhold import HoldingXServer
from helpers.xkit import TEXTS, png
from twins.xserver import CREDENTIALS, XServer

HELPER = Path(__file__).resolve().parents[1] / "helpers" / "publish_one.py"
STEPS = ["upload", "pending-1", "sent-1", "recorded-1", "pending-2", "sent-2", "recorded-2", "pending-3", "sent-3"]

pytestmark = pytest.mark.slow


@pytest.fixture
def x() -> Iterator[XServer]:
    with XServer() as server:
        yield server


def start(x: XServer, tmp: Path, pause: str = "") -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("X_", "BOT_"))}
    env.update(CREDENTIALS, BOT_TEST_MARKER=str(tmp / "marker"), PYTHONDONTWRITEBYTECODE="1")
    if pause:
        env["BOT_TEST_PAUSE_AT"] = pause
    image = tmp / "card.png"
    if not image.exists():
        png(image)
    return subprocess.Popen([sys.executable, str(HELPER), x.url, str(tmp / "ledger.json"), str(image)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kill_at(x: XServer, tmp: Path, step: str) -> None:
    """Run the child until it reaches `step`, then SIGKILL it."""
    child = start(x, tmp, step)
    marker = tmp / "marker"
    deadline = time.monotonic() + 30
    try:
        while not marker.exists():
            assert child.poll() is None, f"the child ended before {step}: {child.communicate()[1][-2000:]}"
            assert time.monotonic() < deadline, f"the child never reached {step}"
            time.sleep(0.02)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        child.stdout.close()  # type: ignore[union-attr]
        child.stderr.close()  # type: ignore[union-attr]
    assert child.returncode == -signal.SIGKILL and marker.read_text() == step
    marker.unlink()


def finish(x: XServer, tmp: Path) -> dict[str, object]:
    """Run the child to the end; its JSON report."""
    out, err = start(x, tmp).communicate(timeout=60)
    assert out, err[-2000:]
    return json.loads(out)


def assert_one_thread(x: XServer, tmp: Path, report: dict[str, object]) -> None:
    """Exactly the three posts, chained, the image on the first, the ledger agreeing with X."""
    on_x.assert_one_thread(x, TEXTS, alt="A blue title card")
    assert report == {"complete": True, "tweets": [[n, p["id"]] for n, p in enumerate(x.posts, 1)]}
    done = JSONLedger(tmp / "ledger.json").done()
    assert {n: t.tweet_id for n, t in done.items()} == {n: p["id"] for n, p in enumerate(x.posts, 1)}
    assert done[1].media_id == x.posts[0]["media_ids"][0]


@pytest.mark.parametrize("step", STEPS)
def test_killed_after_a_step_the_rerun_completes_the_thread_once(x: XServer, tmp_path: Path, step: str) -> None:
    kill_at(x, tmp_path, step)
    report = finish(x, tmp_path)
    assert_one_thread(x, tmp_path, report)
    assert x.hits("POST /2/tweets") == 3  # no post was ever sent twice, not even to be refused as a duplicate
    # The media id is only kept with post 1: killed between upload and post 1, the rerun uploads again
    # (the unused upload expires on X's side); after that, never.
    assert x.hits("POST /2/media/upload") == (2 if step in ("upload", "pending-1") else 1)


@pytest.mark.parametrize("position", [1, 2, 3])
def test_post_made_but_its_answer_lost_then_the_process_dies(x: XServer, tmp_path: Path, position: int) -> None:
    for _ in range(position - 1):
        x.fault("POST /2/tweets", "ok")
    x.fault("POST /2/tweets", "created_drop")
    kill_at(x, tmp_path, f"noanswer-{position}")
    assert len(x.posts) == position  # X made the post; the child never learned its id
    report = finish(x, tmp_path)
    assert_one_thread(x, tmp_path, report)
    assert x.hits("POST /2/tweets") == 3 and x.hits("GET /2/users/:id/tweets") == 1


def test_killed_at_every_step_in_turn(x: XServer, tmp_path: Path) -> None:
    for step in ("upload", "sent-1", "pending-2", "sent-2", "recorded-2", "sent-3"):
        kill_at(x, tmp_path, step)
    report = finish(x, tmp_path)
    assert_one_thread(x, tmp_path, report)
    assert x.hits("POST /2/tweets") == 3


# --- The real path: `bot post` as a user runs it (CLI, SQLite store and its ledger, the entry's claim) -------------
#
# The child is `python -m bot post`, unchanged. The local X API holds one chosen request (tests/helpers/xhold.py) and
# says so; the test then SIGKILLs the child, lets the request go, and runs `bot post` again on the same store and
# output folder. A request held before its effect never reaches the account; one held after it made the post and its
# answer is never delivered.

REAL_STEPS = {
    # name: holds, in turn, one per killed run: (X server call, nth call from now, held after its effect)
    "after the media upload": [("create", 1, False)],
    "after the image upload, its alt text's answer lost": [("metadata", 1, True)],
    "after post 1": [("create", 2, False)],
    "after post 2": [("create", 3, False)],
    "post 1 made, its answer lost": [("create", 1, True)],
    "post 2 made, its answer lost": [("create", 2, True)],
    "post 3 made, its answer lost": [("create", 3, True)],
    "every step in turn": [("create", 1, False), ("create", 1, True), ("create", 2, False), ("create", 1, True)],
}


@pytest.fixture
def xh() -> Iterator[HoldingXServer]:
    with HoldingXServer() as server:
        yield server


def post_args(feed_url: str, tmp: Path) -> list[str]:
    return ["post", "--feed", feed_url, "--entry", ENTRY, "--out", str(tmp / "out")]


def kill_when_held(x: HoldingXServer, args: list[str], env: dict[str, str], tmp: Path, run: int) -> None:
    """Start `bot post`, wait until X holds the planned request, SIGKILL the bot, then let the request go."""
    with BotProcess(args, env, tmp, name=f"run{run}") as bot:
        x.wait_held(bot)
        assert bot.kill() == -signal.SIGKILL
    x.release()


def assert_real_thread(x: HoldingXServer, tmp: Path, stdout: str) -> None:
    """One thread on the account: 3 posts, chained, the image (with alt text) on the first; thread.json agrees."""
    record = json.loads((tmp / "out" / "thread.json").read_text())
    texts = [t["text"] for t in record["tweets"]]
    assert len(texts) == 3
    assert record["image"]["alt_text"]
    on_x.assert_one_thread(x, texts, alt=record["image"]["alt_text"])  # each text once, in order: none twice
    ids = [p["id"] for p in x.posts]
    assert record["published"] == [{"network": "x", "position": n, "id": i, "tweet_id": i, "account": "default"} for n, i in enumerate(ids, 1)]
    assert all(i in stdout for i in ids)
    sent = [status for route, status in x.requests if route == "POST /2/tweets"]
    assert 403 not in sent  # no text was even sent twice to be refused as a duplicate
    # every POST /2/tweets is accounted for: the 3 posts, plus those held before they took effect
    assert len(sent) == 3 + x.never_applied.count("create")


@pytest.mark.parametrize("step", list(REAL_STEPS))
def test_bot_post_killed_then_rerun_completes_the_thread_once(xh: HoldingXServer, feed_url: str, tmp_path: Path,
                                                              step: str) -> None:
    # x.timeout = 1, x.confirm_horizon = 2: a rerun looks for a pending post until 2 s after its mark before it
    # sends it again
    env = bot_env(tmp_path, xh.url, CREDENTIALS, BOT_X_TIMEOUT="1", BOT_X_CONFIRM_HORIZON="2")
    args = post_args(feed_url, tmp_path)
    for run, (call, nth, after) in enumerate(REAL_STEPS[step], 1):
        xh.hold(call, nth, after=after)
        kill_when_held(xh, args, env, tmp_path, run)
    # The rerun needs no wait: the dead process's claim on the entry is taken over at once (same machine).
    started = time.monotonic()
    done = run_bot(args, env, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert time.monotonic() - started < 30
    assert "taking over the claim of a process that is gone" in done.stderr
    assert "thread complete" in done.stdout
    assert_real_thread(xh, tmp_path, done.stdout)
    uploads_lost = step in ("after the media upload", "after the image upload, its alt text's answer lost",
                            "every step in turn")
    # The media id is kept with post 1 only: killed before post 1 exists, the rerun uploads again.
    assert xh.hits("POST /2/media/upload") == (2 if uploads_lost else 1)


def test_bot_post_killed_while_looking_for_a_post_whose_answer_was_dropped(xh: HoldingXServer, feed_url: str,
                                                                        tmp_path: Path) -> None:
    """Post 2 is made but the connection drops; the bot goes to look for it on X and is killed there. The rerun
    finds it among the account's posts and adopts it instead of posting it again."""
    env = bot_env(tmp_path, xh.url, CREDENTIALS, BOT_X_TIMEOUT="1", BOT_X_CONFIRM_HORIZON="2")
    args = post_args(feed_url, tmp_path)
    xh.fault("POST /2/tweets", "ok")
    xh.fault("POST /2/tweets", "created_drop")
    xh.hold("timeline", 1)
    kill_when_held(xh, args, env, tmp_path, 1)
    assert len(xh.posts) == 2  # post 2 exists on X; the killed bot never learned its id
    done = run_bot(args, env, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert_real_thread(xh, tmp_path, done.stdout)
    history = run_bot(["history", "--json"], env, tmp_path)
    (row,) = json.loads(history.stdout)
    assert row["status"] == "posted"
    assert [t["tweet_id"] for t in row["tweets"]] == [p["id"] for p in xh.posts]


# --- A post in flight when the process dies, against an X that does NOT refuse duplicate text --------------------
#
# X holds the answer to post 3 for a few seconds and makes the post at the end of it; the bot is SIGKILLed while it
# waits, and rerun at once. The rerun must not trust a single look at the timeline taken before the dead request
# landed: it looks again once that request's own timeout (x.timeout) has surely passed since the pending mark.

def kill_while_in_flight(x: XServer, args: list[str], env: dict[str, str], tmp: Path, position: int,
                         delay: float = 5.0, kill_after: float = 0.3) -> None:
    """Run `bot post` until X receives the request for post `position` (answered after `delay`), then SIGKILL it."""
    for _ in range(position - 1):
        x.fault("POST /2/tweets", "ok")
    x.fault("POST /2/tweets", "slow", delay=delay)
    with BotProcess(args, env, tmp, name=f"inflight{position}") as bot:
        wait_until(lambda: x.arrived.get("POST /2/tweets", 0) >= position, 30, f"post {position} sent", bot)
        time.sleep(kill_after)
        assert bot.kill() == -signal.SIGKILL


@pytest.mark.parametrize("position", [1, 2, 3])
def test_killed_with_a_post_in_flight_the_rerun_never_sends_it_twice(x: XServer, feed_url: str, tmp_path: Path,
                                                                    position: int) -> None:
    x.filter_duplicates = False  # the account would show a second copy: nothing hides a double post
    env = bot_env(tmp_path, x.url, CREDENTIALS, BOT_X_TIMEOUT="6", BOT_X_CONFIRM_HORIZON="11")
    args = post_args(feed_url, tmp_path)
    kill_while_in_flight(x, args, env, tmp_path, position)
    done = run_bot(args, env, tmp_path)  # at once: the dead request has not landed yet
    # Every request that reached X has had its effect (the dead one's answer went to a closed socket).
    wait_until(lambda: x.hits("POST /2/tweets") == x.arrived["POST /2/tweets"], 10, "X to answer every post")
    assert done.returncode == 0, done.stderr[-2000:]
    record = json.loads((tmp_path / "out" / "thread.json").read_text())
    texts = [t["text"] for t in record["tweets"]]
    assert [p["text"] for p in x.posts] == texts  # exactly one copy of every tweet, in order
    ids = [p["id"] for p in x.posts]
    assert [p["reply_to"] for p in x.posts] == [None, *ids[:-1]]
    assert record["published"] == [{"network": "x", "position": n, "id": i, "tweet_id": i, "account": "default"} for n, i in enumerate(ids, 1)]
    history = json.loads(run_bot(["history", "--json"], env, tmp_path).stdout)
    assert history[0]["status"] == "posted" and [t["tweet_id"] for t in history[0]["tweets"]] == ids
