"""The review page's machine endpoints and rules, in process (Starlette's test client, a fake clock): /healthz turns
503 when polling stalls, /metrics counts without leaking, the server refuses to listen beyond loopback without a
token, and `bot run --web` serves the page beside the daemon and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import signal
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.botproc import SAMPLE_FEED, BotProcess, bot_env, run_bot
from starlette.testclient import TestClient

from bot.core import settings as config
from bot.core.clock import FakeClock
from bot.core.errors import ConfigError
from bot.state.store import Store
from bot.web.app import create_app
from bot.web.security import check_bind

FEED = "https://a.example.com/feed"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    settings = config.load({"BOT_STORE_SQLITE_PATH": str(tmp_path / "bot.db")}, dotenv=None)
    s = Store.open(None, settings)
    yield s
    s.close()


def client(store: Store, clock: FakeClock, **env: str) -> TestClient:
    settings = config.load({"BOT_FEED_URL": FEED, "BOT_DAEMON_STALL_AFTER": "600", **env}, dotenv=None)
    return TestClient(create_app(settings, store, clock), base_url="http://127.0.0.1")


def test_healthz_needs_no_session_and_turns_503_when_polling_stalls(store: Store) -> None:
    clock = FakeClock()
    web = client(store, clock, BOT_WEB_TOKEN="t0k3n-for-tests")
    ok = web.get("/healthz")
    assert ok.status_code == 200 and ok.json()["ok"] is True  # counted from the start, as the watchdog does
    clock.t += 601
    stalled = web.get("/healthz")
    assert stalled.status_code == 503 and stalled.json()["last_poll_age_seconds"] == pytest.approx(601, abs=1)
    store.save_feed_state(FEED, "", "", clock.t - 5)  # a poll (by any process) 5 s ago
    again = web.get("/healthz")
    assert again.status_code == 200 and again.json()["last_poll_age_seconds"] == pytest.approx(5, abs=1)


def test_pages_need_a_session_and_metrics_hold_no_secret(store: Store) -> None:
    web = client(store, FakeClock(), BOT_WEB_TOKEN="t0k3n-for-tests", X_API_SECRET="x-secret-for-tests")
    for path in ("/", "/history", "/drafts/1"):
        answer = web.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/login", path
    assert web.post("/api/poll", headers={"Authorization": "Bearer nope"}).status_code == 401
    metrics = web.get("/metrics")
    assert metrics.status_code == 200 and "bot_polls_total" in metrics.text and "bot_x_spend_dollars" in metrics.text
    assert "t0k3n-for-tests" not in metrics.text and "x-secret-for-tests" not in metrics.text
    login = web.get("/login")
    cookie = login.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_without_a_token_only_loopback_is_served() -> None:
    settings = config.load({}, dotenv=None)
    for host in ("127.0.0.1", "::1", "localhost"):
        check_bind(settings, host)
    with pytest.raises(ConfigError, match="BOT_WEB_TOKEN"):
        check_bind(settings, "0.0.0.0")
    check_bind(config.load({"BOT_WEB_TOKEN": "t0k3n-for-tests"}, dotenv=None), "0.0.0.0")


def test_a_tokenless_page_refuses_a_foreign_host_header(store: Store) -> None:
    web = client(store, FakeClock())
    assert web.get("/login").status_code == 200
    rebound = web.get("/login", headers={"Host": "evil.example.com"})
    assert rebound.status_code == 421  # a DNS-rebinding page cannot reach a token-less review page


@pytest.mark.slow
def test_bot_run_web_serves_the_page_beside_the_daemon(tmp_path: Path, feed_server) -> None:  # type: ignore[no-untyped-def]
    feed_server.route("/feed", SAMPLE_FEED)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = bot_env(tmp_path, "http://127.0.0.1:9", {"X_API_KEY": "k", "X_API_SECRET": "s", "X_ACCESS_TOKEN": "t",
                                                  "X_ACCESS_TOKEN_SECRET": "ts"},
                  BOT_FEED_URL=str(feed_server.url("/feed")), BOT_REVIEW_MODE="approve", BOT_DAEMON_BACKLOG="latest",
                  BOT_WEB_TOKEN="t0k3n-for-tests", PORT=str(port))
    with BotProcess(["run", "--web"], env, tmp_path, name="runweb") as bot:
        deadline = time.monotonic() + 30
        while True:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2).read().decode()
                break
            except OSError:
                assert bot.alive() and time.monotonic() < deadline, bot.stderr()[-2000:]
                time.sleep(0.2)
        assert "Sign in" in body
        while "1 polls so far" not in bot.stderr():
            assert bot.alive() and time.monotonic() < deadline, bot.stderr()[-2000:]
            time.sleep(0.2)
        drafts = run_bot(["drafts", "--json"], env, tmp_path)
        assert len(json.loads(drafts.stdout)) == 1  # the daemon drafted the newest entry
        bot.proc.send_signal(signal.SIGTERM)
        assert bot.proc.wait(30) == 0
