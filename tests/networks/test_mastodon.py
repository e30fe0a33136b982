"""Mastodon against the local Mastodon-shaped server: the thread as a reply chain with the image and its description,
limits from the instance, the Idempotency-Key making a retried status safe, 429 waits, 422 refusals, a network that
fails not stopping the others, and `bot post` killed mid-thread finishing on the rerun with no status twice."""

from __future__ import annotations

import dataclasses
import json
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.botproc import ENTRY, SAMPLE_FEED, BotProcess, bot_env, run_bot, wait_until
from helpers.json_ledger import JSONLedger
from helpers.xkit import TEXTS, make_thread, png, settings_for
from twins.mastodonserver import TOKEN, MastodonServer, length
from twins.xserver import CREDENTIALS, XServer

from bot.core.clock import FakeClock
from bot.core.errors import PublishError
from bot.core.records import NetworkThread, Tweet
from bot.networks.mastodon.thread import MastodonPublisher, idempotency_key

MASTODON = {"MASTODON_ACCESS_TOKEN": TOKEN}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def masto(clock: FakeClock) -> Iterator[MastodonServer]:
    with MastodonServer(clock=clock.time) as server:
        yield server


def publisher(server: MastodonServer, clock: FakeClock, **options: object) -> MastodonPublisher:
    settings = settings_for("http://127.0.0.1:9", {**MASTODON, "MASTODON_BASE_URL": server.url}, **options)
    return MastodonPublisher(settings, clock)


def mastodon_thread(tmp: Path, texts: tuple[str, ...] = TEXTS) -> object:
    thread = make_thread(image=png(tmp / "card.png"))
    return dataclasses.replace(thread, networks=(NetworkThread("mastodon", tuple(Tweet(t, len(t)) for t in texts), 500),))


def assert_one_thread(server: MastodonServer, texts: tuple[str, ...] = TEXTS) -> None:
    assert [s["text"] for s in server.statuses] == list(texts)
    ids = [s["id"] for s in server.statuses]
    assert [s["in_reply_to_id"] for s in server.statuses] == [None, *ids[:-1]]
    assert [len(s["media_attachments"]) for s in server.statuses] == [1] + [0] * (len(texts) - 1)
    assert server.statuses[0]["media_attachments"][0]["description"] == "A blue title card"


def test_a_thread_goes_out_as_replies_with_the_image_its_description_and_the_visibility(
        masto: MastodonServer, clock: FakeClock, tmp_path: Path) -> None:
    ledger = JSONLedger(tmp_path / "l.json")
    posted = publisher(masto, clock, mastodon__visibility="unlisted").publish(mastodon_thread(tmp_path), ledger)
    assert posted.complete and [p.network for p in posted.published] == ["mastodon"] * 3
    assert_one_thread(masto)
    assert {s["visibility"] for s in masto.statuses} == {"unlisted"}
    assert [p.tweet_id for p in posted.published] == [s["id"] for s in masto.statuses]
    assert posted.published[0].ref == masto.statuses[0]["url"]
    keys = [s["idempotency_key"] for s in masto.statuses]
    assert len(set(keys)) == 3 and all(keys)
    paths = [(m, p) for m, p, _ in masto.requests]
    assert ("POST", "/api/v2/media") in paths and ("GET", f"/api/v1/media/{posted.published[0].media_id}") in paths
    # rerun: the ledger holds every status, nothing is sent again
    again = publisher(masto, clock).publish(mastodon_thread(tmp_path), ledger)
    assert again.complete and len(masto.statuses) == 3


def test_the_key_is_the_same_for_the_same_post_and_differs_between_posts(tmp_path: Path) -> None:
    thread = mastodon_thread(tmp_path)
    assert idempotency_key(thread, 1) == idempotency_key(mastodon_thread(tmp_path), 1) != idempotency_key(thread, 2)


def test_limits_come_from_the_instance(clock: FakeClock) -> None:
    with MastodonServer(max_characters=11_000, per_url=30, clock=clock.time) as server:
        counter = publisher(server, clock).counter()
        assert counter.limit == 11_000 and counter("see https://a.org/x") == 4 + 30


def test_the_dry_run_asks_the_instance_once_and_only_when_a_thread_is_fitted(clock: FakeClock) -> None:
    from bot.run import wiring

    with MastodonServer(max_characters=1000, per_url=30, clock=clock.time) as server:
        settings = settings_for("http://127.0.0.1:9", {"MASTODON_BASE_URL": server.url}, networks=["x", "mastodon"])
        deps = wiring.build(settings, dry_run=True, clock=clock)
        assert server.requests == []  # wiring alone asks nothing
        assert [c.limit for c in deps.counters()] == [280, 1000] and deps.counters()[1]("https://a.org") == 30
        assert [(m, p) for m, p, _ in server.requests] == [("GET", "/api/v2/instance")]


def test_a_lost_answer_is_sent_again_with_the_same_key_and_makes_one_status(
        masto: MastodonServer, clock: FakeClock, tmp_path: Path) -> None:
    masto.fault("POST /api/v1/statuses", "drop")  # status 1 is made, its answer never arrives
    masto.fault("POST /api/v1/statuses", "500")
    posted = publisher(masto, clock).publish(mastodon_thread(tmp_path), JSONLedger(tmp_path / "l.json"))
    assert posted.complete
    assert_one_thread(masto)
    assert sum(1 for m, p, _ in masto.requests if (m, p) == ("POST", "/api/v1/statuses")) == 5


def test_a_status_whose_answer_is_not_json_is_sent_again_with_its_key_and_made_once(
        masto: MastodonServer, clock: FakeClock, tmp_path: Path) -> None:
    masto.fault("POST /api/v1/statuses", "garbled")  # status 1 is made; its answer is a proxy's HTML page
    posted = publisher(masto, clock).publish(mastodon_thread(tmp_path), JSONLedger(tmp_path / "l.json"))
    assert posted.complete
    assert_one_thread(masto)  # the retry with the same Idempotency-Key got status 1 back, not a second one


def test_a_rate_limit_is_waited_out_on_the_clock(masto: MastodonServer, clock: FakeClock, tmp_path: Path) -> None:
    masto.fault("POST /api/v1/statuses", "429")
    start = clock.time()
    posted = publisher(masto, clock).publish(mastodon_thread(tmp_path), JSONLedger(tmp_path / "l.json"))
    assert posted.complete and clock.time() - start >= 30
    assert_one_thread(masto)


def test_a_status_over_the_limit_is_refused_for_good(masto: MastodonServer, clock: FakeClock, tmp_path: Path) -> None:
    long = ("word " * 120).strip()
    assert length(long, 23) > 500
    with pytest.raises(PublishError, match="Mastodon refused posting a status \\(422\\).*character limit") as info:
        publisher(masto, clock).publish(mastodon_thread(tmp_path, (long,)), JSONLedger(tmp_path / "l.json"))
    assert not info.value.retryable and masto.statuses == []


def test_a_wrong_token_is_one_line(masto: MastodonServer, clock: FakeClock, tmp_path: Path) -> None:
    settings = settings_for("http://127.0.0.1:9", {"MASTODON_ACCESS_TOKEN": "wrong", "MASTODON_BASE_URL": masto.url})
    with pytest.raises(Exception, match="Mastodon refused MASTODON_ACCESS_TOKEN") as info:
        MastodonPublisher(settings, clock).publish(mastodon_thread(tmp_path), JSONLedger(tmp_path / "l.json"))
    assert "wrong" not in str(info.value)


# --- the real `bot post`, as a child process ---

def post_args(feed_url: str, tmp: Path) -> list[str]:
    return ["post", "--feed", feed_url, "--entry", ENTRY, "--out", str(tmp / "out")]


@pytest.mark.slow
def test_x_failing_does_not_stop_mastodon_and_the_rerun_posts_only_what_is_missing(feed_url: str, tmp_path: Path) -> None:
    with MastodonServer() as masto, XServer() as x:
        env = bot_env(tmp_path, "http://127.0.0.1:9", {**CREDENTIALS, **MASTODON}, BOT_NETWORKS="x,mastodon",
                      MASTODON_BASE_URL=masto.url, BOT_X_RETRIES="0")
        first = run_bot(post_args(feed_url, tmp_path), env, tmp_path)  # X is unreachable
        assert first.returncode != 0 and "X" in first.stderr
        assert len(masto.statuses) == 3 and x.posts == []
        env["X_API_BASE_URL"] = x.url
        second = run_bot(post_args(feed_url, tmp_path), env, tmp_path)
        assert second.returncode == 0, second.stderr[-2000:]
        assert len(masto.statuses) == 3 and len(x.posts) == 3  # Mastodon's thread was not posted again
        record = json.loads((tmp_path / "out" / "thread.json").read_text())
        assert [(p["network"], p["position"]) for p in record["published"]] == [
            ("x", 1), ("x", 2), ("x", 3), ("mastodon", 1), ("mastodon", 2), ("mastodon", 3)]
        assert [p["id"] for p in record["published"] if p["network"] == "mastodon"] == [s["id"] for s in masto.statuses]
        assert [p["text"] for p in record["threads"]["mastodon"]["tweets"]] == [s["text"] for s in masto.statuses]
        history = json.loads(run_bot(["history", "--json"], env, tmp_path).stdout)
        assert history[0]["status"] == "posted"
        assert {t["network"] for t in history[0]["tweets"]} == {"x", "mastodon"}
        assert TOKEN not in first.stderr + second.stderr + (tmp_path / "out" / "thread.json").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("position", [2, 3])
def test_killed_mid_thread_the_rerun_completes_it_with_no_status_twice(feed_url: str, tmp_path: Path,
                                                                       position: int) -> None:
    gate = threading.Event()
    with MastodonServer(hold=gate, hold_at=position) as masto:
        env = bot_env(tmp_path, "", MASTODON, BOT_NETWORKS="mastodon", MASTODON_BASE_URL=masto.url)
        args = post_args(feed_url, tmp_path)
        with BotProcess(args, env, tmp_path, name="run1") as bot:
            wait_until(masto.held.is_set, 60, f"status {position} to be in flight", bot)
            assert bot.kill() == -signal.SIGKILL
        masto.hold = None
        gate.set()  # the dead request lands now: its status exists, its answer went nowhere
        wait_until(lambda: len(masto.statuses) >= position, 10, "the held status to land")
        done = run_bot(args, env, tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
        record = json.loads((tmp_path / "out" / "thread.json").read_text())
        texts = [t["text"] for t in record["threads"]["mastodon"]["tweets"]]
        assert [s["text"] for s in masto.statuses] == texts  # each once, in order
        ids = [s["id"] for s in masto.statuses]
        assert [s["in_reply_to_id"] for s in masto.statuses] == [None, *ids[:-1]]
        assert [p["id"] for p in record["published"]] == ids


def dry_run(feed_url: str, tmp: Path, **extra: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """`bot post --dry-run` on X and Mastodon with no token of any kind; the run and how long it took."""
    env = bot_env(tmp, "", None, BOT_NETWORKS="x,mastodon", **extra)
    for name in ("MASTODON_ACCESS_TOKEN", "MASTODON_BASE_URL"):
        if name not in extra:
            env.pop(name, None)
    start = time.monotonic()
    done = run_bot(["post", "--dry-run", "--feed", feed_url, "--entry", ENTRY, "--out", str(tmp / "out")], env, tmp)
    return done, time.monotonic() - start


def mastodon_counts(stdout: str) -> list[tuple[int, int]]:
    """The `N/LIMIT` lines the terminal shows under the Mastodon heading."""
    section = stdout.split(" Mastodon ", 1)[1].split("\nimage:", 1)[0]
    return [(int(n), int(m)) for n, m in re.findall(r"^\s*(\d+)/(\d+)\s*$", section, re.M)]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
@pytest.mark.parametrize("limit", [1000, 200])
def test_the_dry_run_fits_the_mastodon_thread_to_the_instance_with_no_token(feed_url: str, tmp_path: Path,
                                                                             limit: int) -> None:
    with MastodonServer(max_characters=limit, per_url=30) as masto:
        done, _ = dry_run(feed_url, tmp_path, MASTODON_BASE_URL=masto.url)
    assert done.returncode == 0, done.stderr[-2000:]
    record = json.loads((tmp_path / "out" / "thread.json").read_text())
    assert record["threads"]["mastodon"]["limit"] == limit and record["published"] == []
    texts = [t["text"] for t in record["threads"]["mastodon"]["tweets"]]
    counted = [length(text, 30) for text in texts]  # the server's own count, not the bot's
    assert len(texts) == 3 and all(0 < n <= limit for n in counted)
    assert any("https://" in text for text in texts)  # so the instance's 30 per URL shows in the figures
    assert mastodon_counts(done.stdout) == [(n, limit) for n in counted]
    assert [t["weighted_length"] for t in record["threads"]["mastodon"]["tweets"]] == counted
    if limit < 280:  # X's thread does not fit this instance: the Mastodon thread was fitted to it on its own
        assert max(length(t["text"], 30) for t in record["tweets"]) > limit
    assert [(m, p) for m, p, _ in masto.requests] == [("GET", "/api/v2/instance")]  # asked once, nothing posted
    assert all("authorization" not in headers for _, _, headers in masto.requests)
    assert "Mastodon" not in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("failure", ["refused", "garbage", "hang", "unset"])
def test_a_dry_run_that_cannot_read_the_instance_fits_to_500_and_says_so_once(feed_url: str, tmp_path: Path,
                                                                              failure: str) -> None:
    with MastodonServer() as masto:
        if failure in ("garbage", "hang"):
            masto.fault("GET /api/v2/instance", failure)
        base = {"refused": f"http://127.0.0.1:{closed_port()}", "unset": ""}.get(failure, masto.url)
        extra = {"MASTODON_BASE_URL": base} if base else {}
        done, took = dry_run(feed_url, tmp_path, BOT_MASTODON_TIMEOUT="1", **extra)
        asked = [(m, p) for m, p, _ in masto.requests]
    assert done.returncode == 0, done.stderr[-2000:]
    assert mastodon_counts(done.stdout) and {m for _, m in mastodon_counts(done.stdout)} == {500}
    assert json.loads((tmp_path / "out" / "thread.json").read_text())["threads"]["mastodon"]["limit"] == 500
    said = [line for line in done.stderr.splitlines() if "Mastodon" in line or "mastodon" in line]
    assert len(said) == 1 and "500" in said[0] and "23" in said[0], done.stderr
    assert "Traceback" not in done.stderr and "attempt" not in done.stderr
    assert asked == ([("GET", "/api/v2/instance")] if failure in ("garbage", "hang") else [])  # no retry
    assert took < 15


@pytest.mark.slow
def test_bot_check_tries_the_mastodon_token(tmp_path: Path) -> None:
    with MastodonServer() as masto:
        env = bot_env(tmp_path, "", MASTODON, BOT_NETWORKS="mastodon", MASTODON_BASE_URL=masto.url,
                      BOT_FEED_URL=str(SAMPLE_FEED))
        good = run_bot(["check"], env, tmp_path)
        assert f"ok: mastodon: Mastodon account @writer on {masto.url}" in good.stdout
        assert "x: missing" not in good.stderr  # X is not configured, so its credentials are not asked for
        env["MASTODON_ACCESS_TOKEN"] = "not-the-token"
        bad = run_bot(["check"], env, tmp_path)
        assert bad.returncode == 1 and "mastodon: Mastodon refused MASTODON_ACCESS_TOKEN" in bad.stderr
        assert "not-the-token" not in bad.stdout + bad.stderr
        assert ("GET", "/api/v1/accounts/verify_credentials") in [(m, p) for m, p, _ in masto.requests]


def test_an_unreachable_server_is_named_as_such_and_a_read_claims_no_idempotency(clock: FakeClock) -> None:
    import socket

    from bot.core.errors import NoAnswer
    from bot.networks.mastodon.client import MastodonClient

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    settings = settings_for("http://127.0.0.1:9", {**MASTODON, "MASTODON_BASE_URL": closed}, mastodon__retries=0)
    with pytest.raises(NoAnswer) as info:
        MastodonClient(settings, clock).me()
    assert "(connection refused)" in info.value.message and "Idempotency" not in info.value.hint
