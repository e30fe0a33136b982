"""attack22: exactly once through the real `bot post` (a child process, its real store), against the LinkedIn and
Threads twins: killed at the worst moment, a lost answer, two overlapping processes on one entry (PostgreSQL).
Nothing may go out twice, and nothing may be silently lost (a run that did not publish says so, exit != 0)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.botproc import ENTRY, BotProcess, bot_env, run_bot, wait_until
from twins.linkedin import AUTHOR, LinkedInTwin
from twins.linkedin import TOKEN as LI_TOKEN
from twins.threads import TOKEN as TH_TOKEN
from twins.threads import USER_ID, ThreadsTwin

pytestmark = pytest.mark.slow  # child processes


def _env(tmp: Path, li: LinkedInTwin | None = None, th: ThreadsTwin | None = None, **extra: str) -> dict[str, str]:
    creds: dict[str, str] = {}
    nets = []
    if li is not None:
        nets.append("linkedin")
        creds.update(LINKEDIN_ACCESS_TOKEN=LI_TOKEN, LINKEDIN_AUTHOR=AUTHOR, LINKEDIN_BASE_URL=li.base,
                     BOT_LINKEDIN_TIMEOUT="3")
    if th is not None:
        nets.append("threads")
        creds.update(THREADS_ACCESS_TOKEN=TH_TOKEN, THREADS_USER_ID=USER_ID, THREADS_BASE_URL=th.base,
                     BOT_THREADS_TIMEOUT="3")
    return bot_env(tmp, "", creds, BOT_NETWORKS=",".join(nets), **extra)


def _post(feed_url: str, tmp: Path) -> list[str]:
    return ["post", "--feed", feed_url, "--entry", ENTRY, "--out", str(tmp / "out")]


def _hold_comments(li: LinkedInTwin) -> tuple[threading.Event, threading.Event]:
    """Make the twin hold the first comment in flight (made only once the test releases it)."""
    release, held = threading.Event(), threading.Event()
    handler: Any = li._httpd.RequestHandlerClass
    original = handler.comment

    def comment(self: Any, post: str, fault: str) -> None:
        if not held.is_set():
            held.set()
            release.wait(30)
        return original(self, post, fault)

    handler.comment = comment
    return release, held


def _kill_when_held(proc: BotProcess, held: threading.Event, release: threading.Event,
                    landed: Any) -> None:
    wait_until(held.is_set, 90, "the request in flight", proc)
    proc.kill()  # the process dies with the request out and no answer read: the worst moment
    release.set()
    wait_until(landed, 10, "the held request to land")


def test_a22_linkedin_killed_after_the_post_landed_then_run_again_posts_once(feed_url: str, tmp_path: Path) -> None:
    hold = threading.Event()
    with LinkedInTwin(hold=hold, hold_at=1) as li:
        env = _env(tmp_path, li)
        with BotProcess(_post(feed_url, tmp_path), env, tmp_path, "first") as first:
            _kill_when_held(first, li.held, hold, lambda: len(li.posts) == 1)
        again = run_bot(_post(feed_url, tmp_path), env, tmp_path, timeout=120)
        assert len(li.posts) == 1, f"posted {len(li.posts)} times"
        assert again.returncode == 0, again.stderr[-1500:]
        assert "Traceback" not in again.stderr


def test_a22_linkedin_killed_during_the_first_comment_then_run_again_comments_once(feed_url: str,
                                                                                   tmp_path: Path) -> None:
    with LinkedInTwin() as li:
        release, held = _hold_comments(li)
        env = _env(tmp_path, li, BOT_LINKEDIN_LINK_IN_COMMENT="true")
        with BotProcess(_post(feed_url, tmp_path), env, tmp_path, "first") as first:
            _kill_when_held(first, held, release, lambda: len(li.comments) == 1)
        again = run_bot(_post(feed_url, tmp_path), env, tmp_path, timeout=120)
        assert (len(li.posts), len(li.comments)) == (1, 1), (len(li.posts), len(li.comments))
        assert again.returncode == 0, again.stderr[-1500:]
        assert "Traceback" not in again.stderr


@pytest.mark.parametrize("at", [1, 2, 3])
def test_a22_threads_killed_after_a_publish_then_run_again_finishes_once(feed_url: str, tmp_path: Path,
                                                                         at: int) -> None:
    hold = threading.Event()
    with ThreadsTwin(hold=hold, hold_at=at) as th:
        env = _env(tmp_path, None, th)
        with BotProcess(_post(feed_url, tmp_path), env, tmp_path, "first") as first:
            _kill_when_held(first, th.held, hold, lambda: len(th.posts) == at)
        again = run_bot(_post(feed_url, tmp_path), env, tmp_path, timeout=120)
        texts = [p["text"] for p in th.posts]
        assert len(texts) == len(set(texts)) == 3, texts
        assert len(th.chain()) == 3 and again.returncode == 0, again.stderr[-1500:]


def test_a22_lost_answers_on_both_are_settled_by_reading_back(feed_url: str, tmp_path: Path) -> None:
    with LinkedInTwin() as li, ThreadsTwin() as th:
        li.fault("POST /rest/posts", "drop")
        th.fault("threads_publish", "drop", "", "drop")
        done = run_bot(_post(feed_url, tmp_path), _env(tmp_path, li, th), tmp_path, timeout=180)
        assert len(li.posts) == 1 and len(th.posts) == 3 and len(th.chain()) == 3, (li.posts, th.posts)
        assert done.returncode == 0, done.stderr[-1500:]
        assert "Traceback" not in done.stderr


def test_a22_a_lost_answer_without_read_permission_holds_and_says_so(feed_url: str, tmp_path: Path) -> None:
    """Not silently lost: the run that could not know must say so (exit != 0, a line naming the profile)."""
    with LinkedInTwin(scopes={"w_member_social", "openid"}) as li:
        li.fault("POST /rest/posts", "drop")
        env = _env(tmp_path, li)
        done = run_bot(_post(feed_url, tmp_path), env, tmp_path, timeout=120)
        assert len(li.posts) == 1
        assert done.returncode != 0 and "profile" in (done.stdout + done.stderr).lower(), done.stderr[-1500:]
        again = run_bot(_post(feed_url, tmp_path), env, tmp_path, timeout=120)
        assert len(li.posts) == 1 and again.returncode != 0, again.stderr[-1500:]
        assert "Traceback" not in done.stderr + again.stderr


@pytest.fixture
def pg_url() -> Iterator[str]:
    from dbs import fresh_postgres

    yield from fresh_postgres()


@pytest.mark.parametrize("network", ["linkedin", "threads"])
def test_a22_two_overlapping_bot_posts_on_one_entry_with_postgres_send_once(feed_url: str, tmp_path: Path,
                                                                            pg_url: str, network: str) -> None:
    hold = threading.Event()
    twin: Any = LinkedInTwin(hold=hold, hold_at=1) if network == "linkedin" else ThreadsTwin(hold=hold, hold_at=1)
    with twin:
        env = _env(tmp_path, twin if network == "linkedin" else None, twin if network == "threads" else None,
                   DATABASE_URL=pg_url)
        env.pop("BOT_STORE_SQLITE_PATH", None)
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        with BotProcess(_post(feed_url, tmp_path / "a"), env, tmp_path / "a", "a") as a:
            wait_until(twin.held.is_set, 90, "A's first send in flight", a)
            second = run_bot(_post(feed_url, tmp_path / "b"), env, tmp_path / "b", timeout=120)
            hold.set()
            deadline = time.monotonic() + 120
            while a.alive() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not a.alive()
            first_rc = a.proc.returncode
        third = run_bot(_post(feed_url, tmp_path / "b"), env, tmp_path / "b", timeout=120)
        wanted = 1 if network == "linkedin" else 3
        texts = [p["commentary"] if network == "linkedin" else p["text"] for p in twin.posts]
        assert len(texts) == len(set(texts)) == wanted, texts
        assert first_rc == 0 or third.returncode == 0, (a.stderr()[-800:], third.stderr[-800:])
        for out in (a.stderr(), second.stderr, third.stderr):
            assert "Traceback" not in out, out[-1500:]
        assert os.environ.get("BOT_TEST_DATABASE_URL")
        if os.environ.get("A22_SHOW"):
            print("A:", a.stderr()[-600:], "\nB:", second.returncode, second.stderr[-600:], "\nC:", third.stderr[-400:])


@pytest.mark.parametrize("network", ["linkedin", "threads"])
def test_a22_a_send_that_lands_after_the_bots_horizon_is_not_sent_twice(feed_url: str, tmp_path: Path,
                                                                        network: str) -> None:
    """The settle horizon assumes a request sent at its mark has landed by timeout + 5 s. A request queued at the
    network (or a proxy) that lands later: the first run times out and gives up looking, the next run looks once,
    finds nothing and sends again, then the first lands."""
    hold = threading.Event()
    twin: Any = LinkedInTwin(hold=hold, hold_at=1) if network == "linkedin" else ThreadsTwin(hold=hold, hold_at=1)
    with twin:
        env = _env(tmp_path, twin if network == "linkedin" else None, twin if network == "threads" else None)
        first = run_bot(_post(feed_url, tmp_path), env, tmp_path, timeout=120)  # times out, settles, gives up
        assert first.returncode != 0 and twin.held.is_set()
        second = run_bot(_post(feed_url, tmp_path), env, tmp_path, timeout=120)
        hold.set()  # the first request lands at last (the twin's handler was waiting all along)
        time.sleep(1.0)
        key = "commentary" if network == "linkedin" else "text"
        texts = [p[key] for p in twin.posts]
        assert len(texts) == len(set(texts)), f"sent twice: {len(texts)} posts; second run: {second.stderr[-600:]}"


def test_a22_a_paused_holder_whose_claim_ran_out_does_not_post_twice_with_postgres(feed_url: str, tmp_path: Path,
                                                                                  pg_url: str) -> None:
    """Issue 19's fence, attacked: A's post is in flight when A is paused (SIGSTOP: a VM suspend, a long GC); its
    claim runs out; B takes the entry over, looks, finds nothing, sends. Then A's request lands."""
    import signal

    hold = threading.Event()
    with LinkedInTwin(hold=hold, hold_at=1) as li:
        env = _env(tmp_path, li, DATABASE_URL=pg_url, BOT_STORE_LEASE_SECONDS="2", BOT_LINKEDIN_TIMEOUT="2")
        env.pop("BOT_STORE_SQLITE_PATH", None)
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        with BotProcess(_post(feed_url, tmp_path / "a"), env, tmp_path / "a", "a") as a:
            wait_until(li.held.is_set, 90, "A's post in flight", a)
            os.kill(a.pid, signal.SIGSTOP)
            try:
                time.sleep(3.0)  # A's claim runs out
                second = run_bot(_post(feed_url, tmp_path / "b"), env, tmp_path / "b", timeout=120)
                hold.set()
                time.sleep(1.0)
            finally:
                os.kill(a.pid, signal.SIGCONT)
        assert len(li.posts) == 1, f"posted {len(li.posts)} times; B: {second.returncode} {second.stderr[-600:]}"


def test_a22_threads_lost_reply_answer_without_read_replies_holds_and_never_resends(feed_url: str,
                                                                                   tmp_path: Path) -> None:
    with ThreadsTwin(scopes={"threads_basic", "threads_content_publish", "threads_manage_replies"}) as th:
        th.fault("threads_publish", "", "drop")  # the second post (a reply) is made, its answer lost
        env = _env(tmp_path, None, th)
        done = run_bot(_post(feed_url, tmp_path), env, tmp_path, timeout=120)
        again = run_bot(_post(feed_url, tmp_path), env, tmp_path, timeout=120)
        texts = [p["text"] for p in th.posts]
        assert len(texts) == len(set(texts)) == 2, texts
        assert done.returncode != 0 and again.returncode != 0
        assert "profile" in done.stderr.lower() and "Traceback" not in done.stderr + again.stderr, done.stderr[-800:]
