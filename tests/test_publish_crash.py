"""Kill the publishing process with SIGKILL at every step of a thread, restart it: the thread completes, nothing twice.

The local X API runs in this test process, so it outlives the killed child; the child (tests/helpers/publish_one.py)
keeps its progress in a fsynced JSON ledger, as the store keeps it in the database.
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
from helpers.json_ledger import JSONLedger
from helpers.xkit import TEXTS, png
from xserver import CREDENTIALS, XServer

HELPER = Path(__file__).parent / "helpers" / "publish_one.py"
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
    assert [p["text"] for p in x.posts] == list(TEXTS)
    assert [p["reply_to"] for p in x.posts] == [None, x.posts[0]["id"], x.posts[1]["id"]]
    assert len(x.posts[0]["media_ids"]) == 1 and not x.posts[1]["media_ids"] and not x.posts[2]["media_ids"]
    assert x.media[x.posts[0]["media_ids"][0]]["alt_text"] == "A blue title card"
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
