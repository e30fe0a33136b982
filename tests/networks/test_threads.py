"""Threads against its local twin (tests/twins/threads.py): the thread as a reply chain of containers published once
FINISHED; the quota read before any send (used up: nothing sent, the entry waits); a lost answer or a kill between
publishing and recording resolved by reading back, never by publishing twice; a token that may not read replies
holds the entry; the image only from a public address; the token refreshed before it expires; 500 counted as Threads
counts."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Event
from threading import Thread as Worker

import pytest
from helpers.botproc import ENTRY, BotProcess, bot_env, run_bot, wait_until
from helpers.json_ledger import JSONLedger
from helpers.xkit import make_thread, png, settings_for
from twins.threads import LIMIT, TOKEN, USER_ID, ThreadsTwin, count

from bot.core.clock import FakeClock
from bot.core.errors import AuthError, BudgetExceeded
from bot.core.records import NetworkThread, Tweet
from bot.networks.threads.length import COUNTER, threads_length
from bot.networks.threads.thread import NO_IMAGE, Held, ThreadsPublisher

ROOT = Path(__file__).resolve().parents[2]
TEXTS = ("Small newsletters win (#23): readers trust a voice they know. 📬",
         "Big outlets chase reach; small ones keep attention — 40% open rates at 2,000 readers & up.",
         "Read the whole post: https://quietindex.substack.com/p/why-small-newsletters-win")


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files kept beside the default database (the token files) land in the test's folder, not the tree."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def th(clock: FakeClock) -> Iterator[ThreadsTwin]:
    with ThreadsTwin(clock=clock.time, token_issued=clock.time()) as twin:
        yield twin


def env(twin: ThreadsTwin, **extra: str) -> dict[str, str]:
    return {"THREADS_ACCESS_TOKEN": TOKEN, "THREADS_USER_ID": USER_ID, "THREADS_BASE_URL": twin.base, **extra}


def publisher(twin: ThreadsTwin, clock: FakeClock, tmp: Path, **options: object) -> ThreadsPublisher:
    options.setdefault("store__sqlite_path", str(tmp / "bot.db"))
    return ThreadsPublisher(settings_for("http://127.0.0.1:9", env(twin), **options), clock)


def thread(tmp: Path, texts: tuple[str, ...] = TEXTS) -> object:
    base = make_thread(image=png(tmp / "card.png"))
    posts = tuple(Tweet(t, COUNTER(t)) for t in texts)  # type: ignore[arg-type]
    return dataclasses.replace(base, networks=(NetworkThread("threads", posts, COUNTER.limit),))


def test_the_thread_goes_out_once_as_a_reply_chain_without_an_image_and_says_so(th: ThreadsTwin, clock: FakeClock,
                                                                               tmp_path: Path) -> None:
    ledger = JSONLedger(tmp_path / "l.json")
    posted = publisher(th, clock, tmp_path).publish(thread(tmp_path), ledger)
    assert posted.complete and th.chain() == list(TEXTS) and len(th.posts) == 3
    assert [p.tweet_id for p in posted.published] == [p["id"] for p in th.posts]
    assert {p["media_type"] for p in th.posts} == {"TEXT"} and NO_IMAGE in posted.notes
    statuses = [path for m, path in th.requests if m == "GET" and path.startswith("/v1.0/1789")]
    assert len(statuses) >= 6  # every container was read IN_PROGRESS, then FINISHED, before its publish
    assert th.requests.index(("GET", f"/v1.0/{USER_ID}/threads_publishing_limit")) < \
        th.requests.index(("POST", f"/v1.0/{USER_ID}/threads_publish"))
    again = publisher(th, clock, tmp_path).publish(thread(tmp_path), ledger)
    assert again.complete and len(th.posts) == 3


def test_with_a_public_address_the_first_post_carries_the_image_and_its_alt_text(th: ThreadsTwin, clock: FakeClock,
                                                                                tmp_path: Path) -> None:
    image = png(tmp_path / "card.png").read_bytes()

    class Serve(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(image)))
            self.end_headers()
            self.wfile.write(image)

        def log_message(self, *args: object) -> None:
            pass

    host = ThreadingHTTPServer(("127.0.0.1", 0), Serve)
    Worker(target=host.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{host.server_address[1]}/m/unguessable.png"
        settings = settings_for("http://127.0.0.1:9", env(th), web__public_url="https://bot.example",
                                store__sqlite_path=str(tmp_path / "bot.db"))
        posted = ThreadsPublisher(settings, clock, image_url=lambda t: url).publish(thread(tmp_path),
                                                                                   JSONLedger(tmp_path / "l.json"))
    finally:
        host.shutdown()
        host.server_close()
    assert posted.complete and NO_IMAGE not in posted.notes
    assert [p["media_type"] for p in th.posts] == ["IMAGE", "TEXT", "TEXT"]
    assert th.posts[0]["alt_text"] == "A blue title card"


def test_a_used_up_quota_sends_nothing_and_the_entry_waits(th: ThreadsTwin, clock: FakeClock, tmp_path: Path) -> None:
    th.quota_total = 0
    with pytest.raises(BudgetExceeded) as short:
        publisher(th, clock, tmp_path).publish(thread(tmp_path), JSONLedger(tmp_path / "l.json"))
    assert short.value.retryable and "nothing was sent" in str(short.value)
    assert not th.posts and not th.containers


def test_a_lost_answer_is_found_among_the_replies_and_not_published_again(th: ThreadsTwin, clock: FakeClock,
                                                                          tmp_path: Path) -> None:
    th.fault("threads_publish", "", "drop")  # the second post is published, its answer lost
    posted = publisher(th, clock, tmp_path).publish(thread(tmp_path), JSONLedger(tmp_path / "l.json"))
    assert posted.complete and th.chain() == list(TEXTS) and len(th.posts) == 3


def test_a_token_that_may_not_read_replies_holds_an_unknown_outcome(th: ThreadsTwin, clock: FakeClock,
                                                                    tmp_path: Path) -> None:
    th.scopes.discard("threads_read_replies")
    th.fault("threads_publish", "", "drop")
    ledger = JSONLedger(tmp_path / "l.json")
    with pytest.raises(Held) as held:
        publisher(th, clock, tmp_path).publish(thread(tmp_path), ledger)
    assert not held.value.retryable
    with pytest.raises(Held):
        publisher(th, clock, tmp_path).publish(thread(tmp_path), ledger)
    assert len(th.posts) == 2  # the first post and the lost one; nothing twice, nothing after


def test_the_token_is_refreshed_once_old_enough_and_kept(th: ThreadsTwin, clock: FakeClock, tmp_path: Path) -> None:
    publisher(th, clock, tmp_path).publish(thread(tmp_path, TEXTS[:1]), JSONLedger(tmp_path / "a.json"))
    assert len(th.tokens) == 1  # too young: refused, used as it is
    clock.sleep(2 * 86400)
    publisher(th, clock, tmp_path).publish(thread(tmp_path, TEXTS[1:2]), JSONLedger(tmp_path / "b.json"))
    kept = json.loads((tmp_path / "threads-token.json").read_text())
    assert kept["token"] in th.tokens and kept["token"] != TOKEN
    assert oct((tmp_path / "threads-token.json").stat().st_mode)[-3:] == "600"
    th.tokens.discard(TOKEN)  # the old one is gone: the kept one is what is sent now
    publisher(th, clock, tmp_path).publish(thread(tmp_path, TEXTS[2:]), JSONLedger(tmp_path / "c.json"))
    assert len(th.posts) == 3


def test_a_wrong_token_is_one_line(th: ThreadsTwin, clock: FakeClock, tmp_path: Path) -> None:
    settings = settings_for("http://127.0.0.1:9", env(th, THREADS_ACCESS_TOKEN="nope"),
                            store__sqlite_path=str(tmp_path / "bot.db"))
    with pytest.raises(AuthError, match="THREADS_ACCESS_TOKEN"):
        ThreadsPublisher(settings, clock).publish(thread(tmp_path), JSONLedger(tmp_path / "l.json"))
    assert not th.posts


@pytest.mark.parametrize("text", ["a" * 500, "📬" * 125, "👍🏽" * 62, "é" * 500, "日本" * 250, "a" * 496 + "📬"])
def test_the_count_agrees_with_the_twin_and_the_twin_refuses_one_more(text: str) -> None:
    assert threads_length(text) == count(text) <= LIMIT
    assert count(text + "x") > LIMIT or threads_length(text + "x") <= LIMIT


def test_killed_after_publishing_before_the_record_the_rerun_posts_nothing_twice(tmp_path: Path) -> None:
    with ThreadsTwin(token_issued=time.time()) as th:
        child = ROOT / "tests" / "helpers" / "publish_social.py"
        marker, ledger = tmp_path / "marker", tmp_path / "ledger.json"
        base_env = {**os.environ, **env(th), "BOT_TEST_MARKER": str(marker),
                    "BOT_STORE_SQLITE_PATH": str(tmp_path / "bot.db")}
        args = [sys.executable, str(child), "threads", str(ledger), str(png(tmp_path / "card.png"))]
        proc = subprocess.Popen(args, env={**base_env, "BOT_TEST_PAUSE_AT": "sent-2"}, stdout=subprocess.PIPE,
                                cwd=tmp_path, text=True)
        try:
            for _ in range(600):
                if marker.exists() or proc.poll() is not None:
                    break
                time.sleep(0.05)
            assert marker.read_text() == "sent-2" and len(th.posts) == 2
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        rerun = subprocess.run(args, env=base_env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert rerun.returncode == 0, rerun.stderr
        assert len(th.posts) == 3 and th.chain()[:2] == [
            "Small newsletters win (#23): readers trust a voice they know.",
            "Big outlets chase reach; small ones keep attention. 📬"]
        assert [i for _, i in json.loads(rerun.stdout)["ids"]] == [p["id"] for p in th.posts]


@pytest.mark.slow
@pytest.mark.parametrize("position", [1, 2])
def test_bot_post_killed_with_a_publish_in_flight_then_rerun_posts_each_once(feed_url: str, tmp_path: Path,
                                                                            position: int) -> None:
    gate = Event()
    with ThreadsTwin(hold=gate, hold_at=position, in_progress_polls=0) as twin:
        environment = bot_env(tmp_path, "", env(twin), BOT_NETWORKS="threads", BOT_THREADS_TIMEOUT="1")
        args = ["post", "--feed", feed_url, "--entry", ENTRY, "--out", str(tmp_path / "out")]
        with BotProcess(args, environment, tmp_path, name="run1") as bot:
            wait_until(twin.held.is_set, 60, f"post {position} to be in flight", bot)
            assert bot.kill() == -signal.SIGKILL
        twin.hold = None
        gate.set()  # the dead request lands now: the post exists, its answer went nowhere
        wait_until(lambda: len(twin.posts) == position, 10, "the held post to land")
        done = run_bot(args, environment, tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
        record = json.loads((tmp_path / "out" / "thread.json").read_text())
        texts = [t["text"] for t in record["threads"]["threads"]["tweets"]]
        assert twin.chain() == texts and len(twin.posts) == len(texts)  # each once, in order, as a reply chain
        assert [p["id"] for p in record["published"]] == [p["id"] for p in twin.posts]


def test_a_used_up_reply_quota_stops_the_thread_before_its_first_post(th: ThreadsTwin, clock: FakeClock,
                                                                      tmp_path: Path) -> None:
    th.reply_quota_total = 1  # room for the first post and one reply: a 3-post thread would stop half-way
    with pytest.raises(BudgetExceeded, match="2 repl"):
        publisher(th, clock, tmp_path).publish(thread(tmp_path), JSONLedger(tmp_path / "l.json"))
    assert not th.posts


def test_what_the_twin_refuses(th: ThreadsTwin) -> None:
    import requests

    def post(path: str, **data: str) -> dict[str, object]:
        answer = requests.post(f"{th.base}/v1.0/{USER_ID}/{path}", data={"access_token": TOKEN, **data}, timeout=5)
        assert answer.status_code in (200, 400)
        return dict(answer.json())

    assert post("threads", media_type="TEXT", text="a" * 501)["error"]["code"] == 100  # type: ignore[index]
    assert post("threads", media_type="TEXT", text=" ".join(f"https://e.com/{n}" for n in range(6)))["error"]
    assert post("threads", text="no media_type")["error"]
    assert post("threads", media_type="TEXT", text="hi", reply_to_id="999")["error"]
    container = str(post("threads", media_type="TEXT", text="hi")["id"])
    error = post("threads_publish", creation_id=container)["error"]  # still IN_PROGRESS: Meta's code 24
    assert (error["code"], error["error_subcode"]) == (24, 4279009)  # type: ignore[index]
    bad = requests.get(f"{th.base}/v1.0/me", headers={"Authorization": "Bearer nope"}, timeout=5)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == 190
    assert not th.posts
