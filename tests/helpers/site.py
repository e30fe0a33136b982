"""The review page's browser tests' shared parts: Debian's chromium under Playwright (a module-scoped fixture) and a
`bot serve` child on a free loopback port with drafts prepared by `bot run --once` in approve mode."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import require_or_skip
from twins.xserver import CREDENTIALS, XServer

from helpers.botproc import BotProcess, bot_env, run_bot

CHROMIUM = "/usr/bin/chromium"
TOKEN = "test-web-token-0001"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        require_or_skip(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_or_skip("playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


class Site:
    """A `bot serve` child on a free loopback port, its store and the local X it publishes to."""

    def __init__(self, tmp: Path, x: XServer, feed_url: str, credentials: dict[str, str] | None = None,
                 **env: str) -> None:
        self.tmp, self.x, self.port = tmp, x, _free_port()
        self.env = bot_env(tmp, x.url, {**CREDENTIALS, **(credentials or {})}, BOT_FEED_URL=feed_url,
                           BOT_REVIEW_MODE="approve", BOT_DAEMON_BACKLOG="latest", BOT_DAEMON_BACKLOG_COUNT="2",
                           BOT_WEB_TOKEN=TOKEN, **env)
        done = run_bot(["run", "--once"], self.env, tmp)
        assert done.returncode == 0, done.stderr[-2000:]
        self.proc = BotProcess(["serve", "--port", str(self.port)], self.env, tmp, name="serve")
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.url("/healthz"), timeout=2).read()
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                assert self.proc.alive(), self.proc.stderr()[-2000:]
                assert time.monotonic() < deadline, "bot serve did not answer within 30 s"
                time.sleep(0.2)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def drafts(self, *extra: str) -> list[dict[str, Any]]:
        done = run_bot(["drafts", "--json", *extra], self.env, self.tmp)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def sign_in(self, page: Any) -> None:
        page.goto(self.url("/"))
        assert page.url.endswith("/login")
        page.get_by_label("Token").fill(TOKEN)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(self.url("/"))
