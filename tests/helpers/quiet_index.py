"""The Quiet Index as a feed the tests write themselves: entries with their own text, on a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

DAY = 86_400.0


START = 1_800_000_000.0  # 2027-01-15 08:00 UTC


HOST = "https://quietindex.substack.com"


def item(slug: str, days_ago: int) -> str:
    """One Substack-like entry with its own text (so no two threads share a tweet)."""
    when = format_datetime(datetime.fromtimestamp(START, UTC) - timedelta(days=days_ago))
    words = slug.replace("-", " ")
    body = "".join(f"<p>Part {n} of the post on {words}: readers of {words} stay for the voice, and "
                   f"number {n} is the reason they open every issue.</p>" for n in range(1, 5))
    return (f"<item><title>{words.title()}</title><link>{HOST}/p/{slug}</link>"
            f"<guid isPermaLink=\"true\">{HOST}/p/{slug}</guid><pubDate>{when}</pubDate>"
            f"<description>Why {words} matters</description><dc:creator>Ana</dc:creator>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded></item>")


def rss(*items: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
            f"<channel><title>The Quiet Index</title><link>{HOST}</link>{''.join(items)}</channel></rss>")


OLD = [item("first-steps", 30), item("second-thoughts", 20), item("third-way", 10)]
