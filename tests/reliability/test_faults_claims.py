"""Exactly once under a live holder (issue 19): two bot processes on one entry while the first one waits (a 429 reset,
a slow model), and a post that X's timeline shows late. X's duplicate filter is off throughout, so a second copy of
a post would be on X for the test to see: the bot's own rules, never X's, must keep every post to one copy."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import pytest
from dbs import fresh_postgres
from faults import fault
from helpers import on_x
from helpers.botproc import BotProcess, wait_until
from helpers.world import ESSAY, World, item, no_leaks, rss
from twins.feedserver import FeedServer
from twins.llmserver import LLMServer, stand_in
from twins.xserver import XServer

LEASE = "3"  # store.lease_seconds: the holder renews it every 0.5 s while it works
DATABASES = ["sqlite", "postgres"]


@pytest.fixture(params=DATABASES)
def database(request: Any, tmp_path: Path) -> Iterator[str]:
    """The store both processes share: a SQLite file, or a fresh PostgreSQL database (skipped when none is set)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bot.db'}"
        return
    urls = fresh_postgres()
    yield next(urls)
    next(urls, None)  # drops it


@pytest.fixture
def world(tmp_path: Path, database: str) -> Iterator[World]:
    with FeedServer() as feeds, XServer() as x:
        x.filter_duplicates = False  # an X that posts a repeated text again
        feeds.route("/feed", rss(item("why-small-newsletters-win", "Why small newsletters win", ESSAY)))
        yield World(tmp_path, feeds, x, env={"DATABASE_URL": database, "BOT_STORE_LEASE_SECONDS": LEASE})


@pytest.fixture
def sqlite_world(tmp_path: Path) -> Iterator[World]:
    """The world on SQLite alone, for what does not depend on the database (X's timeline, a timed renewal)."""
    with FeedServer() as feeds, XServer() as x:
        x.filter_duplicates = False
        feeds.route("/feed", rss(item("why-small-newsletters-win", "Why small newsletters win", ESSAY)))
        yield World(tmp_path, feeds, x, env={"DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
                                             "BOT_STORE_LEASE_SECONDS": LEASE})


def finish(proc: BotProcess, timeout: float = 60) -> int:
    """Wait for a child to end; fail with its log when it does not."""
    try:
        return int(proc.proc.wait(timeout))
    except Exception:
        raise AssertionError(f"{proc.err_path.name} did not end within {timeout:.0f} s:\n{proc.stderr()[-3000:]}") from None


def got_429(x: XServer) -> bool:
    return ("POST /2/tweets", 429) in x.requests


def one_thread_recorded(world: World) -> None:
    """X holds one thread of 3 posts, and `bot history` names exactly X's posts, recorded as posted."""
    on_x.assert_one_thread(world.x)
    (row,) = world.history([world.feeds.url("/feed")])
    assert row["status"] == "posted", row
    assert [t["tweet_id"] for t in row["tweets"]] == [p["id"] for p in world.x.posts], row


@contextmanager
def paused(proc: BotProcess) -> Iterator[None]:
    """SIGSTOP the child (a frozen VM, a long GC pause: it can neither send nor renew), SIGCONT on leaving."""
    os.kill(proc.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(proc.pid, signal.SIGCONT)


@fault("X API", "two processes on one entry (SQLite, PostgreSQL): A waits on a 429 for post 2 and is frozen (SIGSTOP) "
       "past its lease; B (`bot post`) takes the claim and posts 2 and 3; then A wakes",
       "A proves its claim before each send, finds it lost, and stops with one line, sending nothing more: X holds "
       "one thread of 3 posts and `bot history` names them", cases=len(DATABASES))
def test_a_holder_that_lost_its_claim_sends_nothing_more(world: World) -> None:
    feeds = [world.feeds.url("/feed")]
    world.x.fault("POST /2/tweets", "ok")
    world.x.fault("POST /2/tweets", "429", reset_in=8)  # A's post 2: X's rate limit, reset in 8 s
    with BotProcess(["run", "--once"], world.base_env(feeds), world.tmp, name="a") as a:
        wait_until(lambda: got_429(world.x), 30, "A's post 2 refused with 429", a)
        with paused(a):
            time.sleep(float(LEASE) + 1.5)  # A's lease runs out: A cannot renew it while frozen
            b = world.cli(["post", "--feed", feeds[0], "--out", str(world.tmp / "b-out")], feeds)
            no_leaks(b.stdout, b.stderr)
            assert b.returncode == 0, b.stderr[-2000:]
            assert len(world.x.posts) == 3  # B finished the thread while A was frozen
        finish(a)
        said = a.stderr()
    no_leaks(said)
    one_thread_recorded(world)
    assert a.proc.returncode == 0, said[-2000:]
    lost = [line for line in said.splitlines() if "claim" in line and "lost" in line]
    assert len(lost) == 1, said[-2000:]


@fault("X API", "A waits on a 429 for post 2 longer than its lease (store.lease_seconds = 3, the reset in 8 s); B "
       "(`bot post`) starts once the lease A first took has run out",
       "A renews its lease while it waits, so B finds the entry held, says so and posts nothing; A finishes: one thread")
def test_a_holder_keeps_its_claim_while_it_waits(sqlite_world: World) -> None:
    world = sqlite_world
    feeds = [world.feeds.url("/feed")]
    world.x.fault("POST /2/tweets", "ok")
    world.x.fault("POST /2/tweets", "429", reset_in=8)
    with BotProcess(["run", "--once"], world.base_env(feeds), world.tmp, name="a") as a:
        wait_until(lambda: got_429(world.x), 30, "A's post 2 refused with 429", a)
        time.sleep(float(LEASE) + 1.5)
        b = world.cli(["post", "--feed", feeds[0], "--out", str(world.tmp / "b-out")], feeds)
        no_leaks(b.stdout, b.stderr)
        assert len(world.x.posts) == 1, b.stderr[-2000:]  # B sent nothing
        assert b.returncode == 1 and "another bot process" in b.stderr, b.stderr[-2000:]
        assert finish(a) == 0, a.stderr()[-2000:]
    one_thread_recorded(world)


MODEL_CASES = [("alive", "sqlite"), ("frozen", "sqlite"), ("frozen", "postgres")]


@fault("X API", "A's model answers after A's lease (store.lease_seconds = 3) while B runs; A is alive (waiting on the "
       "model) or frozen (SIGSTOP, and B, having taken the claim, meets a 429 on post 2 when A's answer comes)",
       "alive: A renews its lease while the model writes, so B finds the entry held and posts nothing; frozen: B takes "
       "the claim, and A, proving its claim before it keeps its thread or sends, stops with one line; X holds one "
       "thread of 3", cases=len(MODEL_CASES))
@pytest.mark.parametrize(("state", "database"), MODEL_CASES, ids=[f"{s}-{d}" for s, d in MODEL_CASES], indirect=["database"])
def test_a_model_that_answers_after_the_lease(world: World, state: str) -> None:
    feeds = [world.feeds.url("/feed")]
    answer = threading.Event()

    def held(body: dict[str, Any]) -> str:  # A's first model request: answered when the test says
        answer.wait(40)
        return stand_in(body)

    with LLMServer(script=[held]) as llm:
        model = {"BOT_LLM_BASE_URL": llm.base_url, "BOT_LLM_API_KEY": "fake-llm-key-claims-1234",
                 "BOT_WRITER_TIMEOUT": "45"}
        a = BotProcess(["run", "--once"], world.base_env(feeds, **model), world.tmp, name="a")
        b: BotProcess | None = None
        try:
            wait_until(lambda: len(llm.chats()) >= 1, 30, "A's model request", a)
            if state == "frozen":
                world.x.fault("POST /2/tweets", "ok")
                world.x.fault("POST /2/tweets", "429", reset_in=12)  # B's post 2: B is mid-thread when A answers
            with paused(a) if state == "frozen" else nullcontext():
                time.sleep(float(LEASE) + 1.5)  # past A's lease, A still waiting for its model
                b = started = BotProcess(["run", "--once"], world.base_env(feeds, **model), world.tmp, name="b")
                wait_until(lambda: got_429(world.x) or not started.alive(), 30, "B's post 2 refused, or B done")
                answer.set()  # A's model answers now
            if state == "alive":
                assert finish(b) == 0 and world.x.posts == [], b.stderr()[-2000:]
                assert "another bot process" in b.stderr(), b.stderr()[-2000:]
            assert finish(a) == 0, a.stderr()[-2000:]
            assert finish(b) == 0, b.stderr()[-2000:]
            said = a.stderr()
        finally:
            answer.set()
            for proc in (a, b):
                if proc is not None:
                    proc.kill()
    no_leaks(said)
    wait_until(lambda: world.x.hits("POST /2/tweets") == world.x.arrived["POST /2/tweets"], 10, "X to answer all")
    one_thread_recorded(world)
    if state == "frozen":
        lost = [line for line in said.splitlines() if "claim" in line and "lost" in line]
        assert len(lost) == 1, said[-2000:]


@fault("X API", "the answer to post 2 is lost (X made it) and X's timeline shows the post only 8 s later, after the "
       "old look-again time (x.timeout + 3 s)",
       "the bot keeps looking with backoff until x.confirm_horizon (20 s here) and adopts the post when it shows: "
       "nothing sent again", cases=1)
def test_a_post_x_shows_late_is_not_sent_again(sqlite_world: World) -> None:
    world = sqlite_world
    world.x.visible_after = 8
    world.x.fault("POST /2/tweets", "ok")
    world.x.fault("POST /2/tweets", "created_drop")
    result = world.once([world.feeds.url("/feed")], BOT_X_CONFIRM_HORIZON="20")
    no_leaks(result.stdout, result.stderr)
    assert result.returncode == 0, result.stderr[-2000:]
    assert world.x.hits("POST /2/tweets") == 3, result.stderr[-2000:]  # post 2 was never sent again
    world.x.visible_after = 0
    one_thread_recorded(world)



@fault("X API", "A's post 2 is refused with 429 (reset in 4 s) and A is killed (SIGKILL) while it waits for the reset; "
       "B (`bot run --once`) starts at once, x.confirm_horizon = 60 s",
       "X answered the 429 (nothing made), so the refused post is not left pending: B finishes the thread at once, "
       "without looking for post 2 until the horizon, and X holds one thread of 3", cases=len(DATABASES))
def test_a_post_refused_with_429_is_not_left_pending(world: World) -> None:
    feeds = [world.feeds.url("/feed")]
    world.x.fault("POST /2/tweets", "ok")
    world.x.fault("POST /2/tweets", "429", reset_in=4)
    env = world.base_env(feeds, BOT_X_CONFIRM_HORIZON="60")
    with BotProcess(["run", "--once"], env, world.tmp, name="a") as a:
        wait_until(lambda: got_429(world.x), 30, "A's post 2 refused with 429", a)
        time.sleep(0.5)
        a.kill()
    started = time.monotonic()
    b = world.once(feeds, BOT_X_CONFIRM_HORIZON="60")
    took = time.monotonic() - started
    no_leaks(b.stdout, b.stderr)
    assert b.returncode == 0, b.stderr[-2000:]
    assert took < 30, f"B took {took:.0f} s (it looked for a post X had refused):\n{b.stderr[-2000:]}"
    one_thread_recorded(world)


@fault("X API", "review.mode = approve: two `bot post --draft` on one entry, A's model answering only after B made "
       "the draft and the reviewer edited its alt text (`bot drafts edit`)",
       "the first thread kept is the draft's for good: A's late thread replaces neither the draft nor the reviewer's "
       "edit", cases=len(DATABASES))
def test_a_late_draft_does_not_replace_the_reviewed_one(world: World) -> None:
    feeds = [world.feeds.url("/feed")]
    answer = threading.Event()

    def held(body: dict[str, Any]) -> str:  # A's model: a thread of its own, answered when the test says
        answer.wait(40)
        return stand_in(body).replace('"Illustration for', '"A late illustration for')

    import json

    with LLMServer(script=[held]) as llm:
        model = {"BOT_LLM_BASE_URL": llm.base_url, "BOT_LLM_API_KEY": "fake-llm-key-claims-1234",
                 "BOT_WRITER_TIMEOUT": "45", "BOT_REVIEW_MODE": "approve"}
        post = ["post", "--draft", "--feed", feeds[0]]
        a = BotProcess([*post, "--out", str(world.tmp / "a-out")], world.base_env(feeds, **model), world.tmp, name="a")
        try:
            wait_until(lambda: len(llm.chats()) >= 1, 30, "A's model request", a)
            b = world.cli([*post, "--out", str(world.tmp / "b-out")], feeds, **model)
            assert b.returncode == 0, b.stderr[-2000:]
            edit = world.cli(["drafts", "edit", "1", "--alt", "A chart of small newsletters"], feeds, **model)
            assert edit.returncode == 0, edit.stderr[-2000:]
            answer.set()
            finish(a)
            said = a.stderr()
        finally:
            answer.set()
            a.kill()
        no_leaks(said)
        shown = world.cli(["drafts", "--json"], feeds, **model)
    (draft,) = json.loads(shown.stdout)
    assert draft["alt_text"] == "A chart of small newsletters", (draft, said[-2000:])
    assert world.x.posts == []


@fault("X API", "review.mode = approve: A (`bot run --once`) prepares a draft with a model that answers after A's lease "
       "(store.lease_seconds = 3); B (`bot run --once`) polls meanwhile",
       "A renews its claim while the model writes, so B leaves the entry alone (no second model call) and one draft "
       "is made", cases=1)
def test_a_slow_model_preparing_a_draft_keeps_its_claim(sqlite_world: World) -> None:
    world = sqlite_world
    feeds = [world.feeds.url("/feed")]
    answer = threading.Event()

    def held(body: dict[str, Any]) -> str:
        answer.wait(40)
        return stand_in(body)

    with LLMServer(script=[held]) as llm:
        model = {"BOT_LLM_BASE_URL": llm.base_url, "BOT_LLM_API_KEY": "fake-llm-key-claims-1234",
                 "BOT_WRITER_TIMEOUT": "45", "BOT_REVIEW_MODE": "approve"}
        a = BotProcess(["run", "--once"], world.base_env(feeds, **model), world.tmp, name="a")
        try:
            wait_until(lambda: len(llm.chats()) >= 1, 30, "A's model request", a)
            time.sleep(float(LEASE) + 1.5)
            b = world.once(feeds, **model)
            asked = len(llm.chats())
            answer.set()
            assert finish(a) == 0, a.stderr()[-2000:]
        finally:
            answer.set()
            a.kill()
        no_leaks(b.stdout, b.stderr, a.stderr())
        assert b.returncode == 0, b.stderr[-2000:]
        assert asked == 1, b.stderr[-2000:]  # B did not write the thread a second time
        drafts = world.cli(["drafts", "--json"], feeds, **model)
    assert drafts.returncode == 0 and drafts.stdout.count('"id"') == 1, drafts.stdout[-2000:]
