"""A small world for fault tests: a feed server, a local X API and (optionally) a model server on 127.0.0.1,
and the real `bot` run against them as a child process, as a user would run it."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

from helpers.botproc import bot_env, run_bot

SECRETS = ("test-consumer-secret-0001", "test-token-secret-0001", "1000-test-access-token", "test-consumer-key-0001")


def item(slug: str, title: str, html: str, days_ago: int = 0, host: str = "quietindex.substack.com") -> str:
    """One Substack-like <item>."""
    link = f"https://{host}/p/{slug}"
    when = format_datetime(datetime(2026, 11, 20, 9, 0, tzinfo=UTC) - timedelta(days=days_ago), usegmt=True)
    return (f"<item><title>{escape(title)}</title><description>A subtitle for {escape(title)}</description>"
            f"<link>{link}</link><guid isPermaLink=\"false\">{link}</guid><dc:creator>Mara Ellison</dc:creator>"
            f"<pubDate>{when}</pubDate><content:encoded><![CDATA[{html}]]></content:encoded></item>")


def rss(*items: str, title: str = "The Quiet Index") -> bytes:
    """A Substack-like RSS feed around the items (newest first)."""
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>{escape(title)}</title><link>https://quietindex.substack.com</link><language>en</language>"
            + "".join(items) + "</channel></rss>").encode("utf-8")


ESSAY = ("<p>Small newsletters win because readers chose them on purpose. Trust compounds slowly over years.</p>"
         "<h2>Attention is not a mass market</h2><p>Lists under two thousand subscribers were opened by 58 percent "
         "of readers; lists over fifty thousand, by 31 percent.</p><p>A thousand readers who would miss you are worth "
         "more than a hundred thousand who would not notice you had gone.</p>")


@dataclass
class World:
    """Servers are started by the caller (context managers); this holds them and runs the bot."""

    tmp: Path
    feeds: Any  # FeedServer
    x: Any  # XServer
    env: dict[str, str] = field(default_factory=dict)
    skew: float = 0.0  # seconds the bot's clock runs ahead of the real one (tests/netguard: TEST_CLOCK_SKEW)

    def advance(self, seconds: float) -> None:
        """Every later run of the bot sees its clock `seconds` further on: a backoff passes without a real sleep."""
        self.skew += seconds

    def base_env(self, feeds: list[str], **extra: str) -> dict[str, str]:
        from twins.xserver import CREDENTIALS

        settings = {"BOT_FEED_URL": ",".join(feeds), "BOT_DAEMON_BACKLOG": "latest", "BOT_FEED_TIMEOUT": "2",
                    "BOT_X_TIMEOUT": "3", "BOT_X_RETRIES": "1", "BOT_DAEMON_RETRY_BACKOFF": "1",
                    "BOT_WRITER_TIMEOUT": "3", "BOT_WRITER_RETRIES": "1", "BOT_LOG_FORMAT": "text",
                    "BOT_X_CONFIRM_HORIZON": "6"}  # a lost post is looked for 6 s (x.timeout + 3) before a resend
        skew = {"TEST_CLOCK_SKEW": str(self.skew)} if self.skew else {}
        return bot_env(self.tmp, self.x.url, CREDENTIALS, **{**settings, **self.env, **skew, **extra})

    def once(self, feeds: list[str], **extra: str) -> subprocess.CompletedProcess[str]:
        """`bot run --once` over these feeds."""
        return run_bot(["run", "--once"], self.base_env(feeds, **extra), self.tmp)

    def cli(self, args: list[str], feeds: list[str], **extra: str) -> subprocess.CompletedProcess[str]:
        """Any `bot` command with the same environment."""
        return run_bot(args, self.base_env(feeds, **extra), self.tmp)

    def history(self, feeds: list[str]) -> list[dict[str, Any]]:
        import json

        result = self.cli(["history", "--json"], feeds)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def texts(self) -> list[str]:
        """Every post X holds, in order."""
        return [p["text"] for p in self.x.posts]


def no_leaks(*outputs: str) -> None:
    """No fake secret in any output, and no traceback."""
    for out in outputs:
        assert "Traceback" not in out, out[-3000:]
        for secret in SECRETS:
            assert secret not in out
