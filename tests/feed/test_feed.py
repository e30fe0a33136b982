"""Feed ingestion: parsing the fixtures, keys, select, and fetching over real HTTP from a local server."""

from __future__ import annotations

import socket
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from twins.feedserver import FeedServer

from bot import __version__
from bot.core.errors import EntryNotFound, FeedError
from bot.feed import source as feed
from bot.feed.source import SAMPLE_FEED, entry_key, fetch, parse, select

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LIMITS = {"timeout": 5.0, "user_agent": "", "max_bytes": 5_000_000}


def load(name: str) -> feed.FeedResult:
    return fetch(FIXTURES / name if name != "sample" else SAMPLE_FEED, **LIMITS)


# --- parsing ------------------------------------------------------------------------------------------


def test_sample_feed_reads_like_substack() -> None:
    result = load("sample")
    assert result.title == "The Quiet Index"
    assert len(result.entries) == 4 and not result.warnings
    newest = result.entries[0]
    assert newest.key == "/p/why-small-newsletters-win"
    assert newest.link == newest.guid == "https://quietindex.substack.com/p/why-small-newsletters-win"
    assert newest.title == "Why small newsletters win"
    assert newest.subtitle == "The economics of attention favour the tiny, loyal audience"
    assert newest.author == "Mara Ellison"
    assert newest.published == datetime(2026, 2, 10, 8, 30, tzinfo=UTC)
    assert newest.cover_url.endswith("smallwin_1600x900.png")  # declared image/jpeg; the URL is what counts
    assert newest.publication == "The Quiet Index" and newest.language == "en"
    assert "subscription-widget" in newest.html  # content:encoded, untouched until article.py
    assert result.bytes_received == SAMPLE_FEED.stat().st_size


def test_sample_feed_covers_the_cases_the_bot_is_tried_on() -> None:
    entries = load("sample").entries
    assert [e.paywalled for e in entries] == [False, True, False, False]
    assert any("espa&#241;ol" in e.html for e in entries)  # a Spanish post, entities as Substack writes them
    assert len(SAMPLE_FEED.read_bytes()) < 40_000


def test_entries_come_newest_first_whatever_the_feed_order() -> None:
    data = SAMPLE_FEED.read_bytes()
    items = data.split(b"<item>")
    shuffled = items[0] + b"".join(b"<item>" + i for i in reversed(items[1:]))
    shuffled = shuffled.replace(b"</channel></rss><item>", b"<item>")  # the last item carried the tail
    entries = parse(_fix_tail(shuffled), "x").entries
    assert len(entries) == 4 and _fix_tail(shuffled).index(b"reply-button") < _fix_tail(shuffled).index(b"small-newsletters")
    dates = [e.published for e in entries]
    assert dates == sorted(dates, reverse=True)  # type: ignore[type-var]


def _fix_tail(data: bytes) -> bytes:
    body = data.replace(b"</channel></rss>", b"")
    return body + b"</channel></rss>"


def test_atom_feed() -> None:
    result = load("atom.xml")
    newest, older = result.entries
    assert newest.title == "Newest Atom post & friends"
    assert newest.author == "Bo Byline" and older.author == "Ada Atom"
    assert newest.key == "tag:atom.example.org,2026:newest"  # no /p/ path: the guid
    assert newest.link == "https://atom.example.org/2026/02/newest"
    assert "<h2>Atom works too</h2>" in newest.html and newest.subtitle == "A short summary of the newest post."
    assert newest.cover_url == "https://cdn.atom.invalid/cover.png"
    assert older.published == datetime(2026, 1, 5, 7, 0, tzinfo=UTC)  # +02:00 turned into UTC
    assert newest.language == "en"


def test_malformed_feed_yields_what_parsed_with_a_warning() -> None:
    result = load("malformed.xml")
    assert [e.key for e in result.entries][:2] == ["/p/why-small-newsletters-win",
                                                     "/p/what-a-thousand-paying-readers-taught-me"]
    assert len(result.warnings) == 1 and "malformed" in result.warnings[0]


def test_empty_feed_parses_and_select_explains() -> None:
    result = load("empty.xml")
    assert result.entries == () and result.title == "Nothing Yet"
    with pytest.raises(FeedError, match="the feed has no entries"):
        select(result.entries)


@pytest.mark.parametrize("name", ["cp1252.xml", "latin1.xml"])
def test_declared_non_utf8_encodings_decode(name: str) -> None:
    result = load(name)
    (entry,) = result.entries
    assert entry.title.startswith("Crème brûlée for ")
    assert entry.author == "Renée François"
    assert "maître d" in entry.html
    if name == "cp1252.xml":
        assert "€5 – naïve" in entry.title and "“It’s too cheap,”" in entry.html
        assert result.title == "Café Notes — “Le Bistrot”"


def test_an_entry_without_link_or_guid_is_skipped_with_a_warning() -> None:
    data = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
            b"<item><title>Lost post</title><description>no address</description></item>"
            b"<item><title>Kept</title><link>https://t.substack.com/p/kept</link></item></channel></rss>")
    result = parse(data, "t.xml")
    assert [e.key for e in result.entries] == ["/p/kept"]
    assert len(result.warnings) == 1 and "'Lost post'" in result.warnings[0] and "neither a link nor a guid" in result.warnings[0]


def test_html_page_is_not_a_feed() -> None:
    with pytest.raises(FeedError) as info:
        load("not_a_feed.html")
    assert "is a web page, not a feed" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("data", [b"", b"   ", b"just some text", b"\x00\x01\x02 binary"])
def test_garbage_is_a_feed_error(data: bytes) -> None:
    with pytest.raises(FeedError):
        parse(data, "garbage")


def test_parse_never_fetches_a_url_given_as_data() -> None:
    # feedparser fetches a str that looks like a URL; bytes of a URL must be taken as (bad) data.
    with pytest.raises(FeedError):
        parse(b"http://127.0.0.1:9/feed", "x")


def test_japanese_and_emoji_fixtures_for_the_fitting_checks() -> None:
    (ja, _), (emoji,) = load("japanese.xml").entries, load("emoji_links.xml").entries
    assert ja.language == "ja" and ja.key == "/p/shotengai-no-zaiko-kanri" and "商店街" in ja.title
    assert emoji.title.startswith("🚀") and emoji.html.count("<a ") >= 6


# --- keys and paywall ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("link", "guid", "key"), [
    ("https://name.substack.com/p/my-post", "https://name.substack.com/p/my-post", "/p/my-post"),
    ("https://www.custom.blog/p/my-post", "https://www.custom.blog/p/my-post", "/p/my-post"),
    ("https://www.custom.blog/p/my-post?utm_source=x#top", "", "/p/my-post"),
    ("", "https://name.substack.com/p/my-post/", "/p/my-post"),
    ("https://blog.example/2026/01/post", "tag:blog.example,2026:post", "tag:blog.example,2026:post"),
    ("https://blog.example/2026/01/post", "", "https://blog.example/2026/01/post"),
    ("https://blog.example/help/p/", "guid-1", "guid-1"),
])
def test_entry_key(link: str, guid: str, key: str) -> None:
    assert entry_key(link, guid) == key


@given(slug=st.from_regex(r"[a-z0-9][a-z0-9-]{0,40}", fullmatch=True),
       host=st.sampled_from(["name.substack.com", "www.custom.blog", "notes.example.dev:8443"]),
       query=st.sampled_from(["", "?utm_source=x", "#footnote-1", "/"]))
def test_entry_key_ignores_host_and_decorations(slug: str, host: str, query: str) -> None:
    url = f"https://{host}/p/{slug}{query}"
    assert entry_key(url, "") == entry_key("", url) == entry_key(url, f"https://other.host/p/{slug}") == f"/p/{slug}"


def test_keys_survive_a_move_to_a_custom_domain() -> None:
    before = SAMPLE_FEED.read_bytes()
    after = before.replace(b"https://quietindex.substack.com", b"https://www.quietindex.news")
    old, new = parse(before, "old").entries, parse(after, "new").entries
    assert [e.guid for e in old] != [e.guid for e in new]
    assert [e.key for e in old] == [e.key for e in new]


@pytest.mark.parametrize(("tail", "paywalled"), [
    ('<p><a href="https://x.substack.com/p/a">Read more</a></p>', True),
    ('<p><a href="https://x.substack.com/p/a"><span>Read more</span></a></p>\n', True),
    ('<p class="button-wrapper"><a class="button primary" href="https://x.substack.com/p/a">READ MORE…</a></p>', True),
    ("<p>Read more about it below:</p><p>The rest.</p>", False),
    ('<p><a href="https://x.substack.com/p/b">Read more</a> of my essays.</p>', False),
    ("<p>Just a post.</p>", False),
    ('<div class="paywall"><h2 class="paywall-title">This post is for paid subscribers</h2></div>', True),
    ("<p>Why I dislike paywalls.</p>", False),
])
def test_paywall_detection(tail: str, paywalled: bool) -> None:
    assert feed.is_paywalled("<p>Intro.</p>" + tail) is paywalled


# --- select ---------------------------------------------------------------------------------------------


@pytest.fixture
def entries() -> tuple[feed.Entry, ...]:
    return load("sample").entries


def test_select_latest(entries: tuple[feed.Entry, ...]) -> None:
    assert select(entries).key == "/p/why-small-newsletters-win"
    assert select(tuple(reversed(entries)), "latest").key == "/p/why-small-newsletters-win"


@pytest.mark.parametrize("which", [
    "https://quietindex.substack.com/p/the-reply-button-is-the-product",  # link / guid
    "https://QuietIndex.substack.com/p/the-reply-button-is-the-product/",  # case and trailing slash
    "/p/the-reply-button-is-the-product",  # key
    "https://www.quietindex.news/p/the-reply-button-is-the-product",  # same post on a custom domain
    "the-reply-button-is-the-product",  # bare slug
])
def test_select_by_link_guid_or_key(entries: tuple[feed.Entry, ...], which: str) -> None:
    assert select(entries, which).title == "The reply button is the product"


def test_select_by_guid_when_guid_differs_from_link() -> None:
    entries = load("atom.xml").entries
    assert select(entries, "tag:atom.example.org,2026:older").title == "Older Atom post"


def test_select_unknown_lists_what_there_is(entries: tuple[feed.Entry, ...]) -> None:
    with pytest.raises(EntryNotFound) as info:
        select(entries, "https://quietindex.substack.com/p/no-such-post")
    line = str(info.value)
    assert "no-such-post" in line and "/p/why-small-newsletters-win" in line and "\n" not in line


def test_select_latest_without_dates_keeps_feed_order(entries: tuple[feed.Entry, ...]) -> None:
    undated = tuple(replace(e, published=None) for e in reversed(entries))
    assert select(undated).key == "/p/the-reply-button-is-the-product"


# --- files ----------------------------------------------------------------------------------------------


def test_missing_file_is_one_line() -> None:
    with pytest.raises(FeedError) as info:
        fetch("/nowhere/feed.xml", **LIMITS)
    assert str(info.value).startswith("no feed file at /nowhere/feed.xml") and "\n" not in str(info.value)


def test_file_url_and_size_limit(tmp_path: Path) -> None:
    assert fetch(SAMPLE_FEED.as_uri(), **LIMITS).entries
    with pytest.raises(FeedError, match="over the 10,000-byte limit"):
        fetch(SAMPLE_FEED, timeout=5, user_agent="", max_bytes=10_000)
    with pytest.raises(FeedError, match="directory"):
        fetch(tmp_path, **LIMITS)


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(FeedError, match="only http"):
        fetch("ftp://example.com/feed", **LIMITS)


# --- HTTP against a real local server -----------------------------------------------------------------


def test_fetch_then_304_with_validators(feed_server: FeedServer) -> None:
    feed_server.route("/feed", SAMPLE_FEED, etag='"v1"', last_modified="Tue, 10 Feb 2026 08:31:12 GMT")
    first = fetch(feed_server.url("/feed"), **LIMITS)
    assert len(first.entries) == 4 and not first.not_modified
    assert first.etag == '"v1"' and first.last_modified == "Tue, 10 Feb 2026 08:31:12 GMT"
    assert first.bytes_received == SAMPLE_FEED.stat().st_size
    assert first.entries[0].feed == feed_server.url("/feed")

    second = fetch(feed_server.url("/feed"), **LIMITS, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.entries == () and second.bytes_received == 0
    assert second.etag == '"v1"'
    seen = feed_server.requests[-1].headers
    assert seen["if-none-match"] == '"v1"' and seen["if-modified-since"] == first.last_modified


def test_304_on_last_modified_alone(feed_server: FeedServer) -> None:
    feed_server.route("/feed", SAMPLE_FEED, last_modified="Tue, 10 Feb 2026 08:31:12 GMT")
    again = fetch(feed_server.url("/feed"), **LIMITS, last_modified="Tue, 10 Feb 2026 08:31:12 GMT")
    assert again.not_modified and again.last_modified == "Tue, 10 Feb 2026 08:31:12 GMT"


def test_user_agent_is_sent(feed_server: FeedServer) -> None:
    feed_server.route("/feed", SAMPLE_FEED)
    fetch(feed_server.url("/feed"), **LIMITS)
    fetch(feed_server.url("/feed"), **{**LIMITS, "user_agent": "my-bot/2 (+mailto:me@example.org)"})
    assert feed_server.user_agents == [f"substack-thread-bot/{__version__} (+https://github.com/substack-thread-bot)",
                                       "my-bot/2 (+mailto:me@example.org)"]


@pytest.mark.parametrize(("status", "words"), [
    (404, "no feed at"), (410, "no feed at"), (500, "server error (HTTP 500)"), (503, "server error (HTTP 503)"),
    (403, "User-Agent"), (429, "rate-limiting"), (401, "HTTP 401"), (418, "HTTP 418"),
])
def test_http_errors_are_one_line(feed_server: FeedServer, status: int, words: str) -> None:
    feed_server.route("/feed", b"nope", status=status, content_type="text/plain")
    with pytest.raises(FeedError) as info:
        fetch(feed_server.url("/feed"), **LIMITS)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_html_page_over_http_suggests_the_feed_address(feed_server: FeedServer) -> None:
    feed_server.route("/", FIXTURES / "not_a_feed.html", content_type="text/html; charset=utf-8")
    with pytest.raises(FeedError) as info:
        fetch(feed_server.url("/"), **LIMITS)
    assert f"try {feed_server.url('/feed')}" in str(info.value)


def test_timeout_on_a_hanging_server_is_bounded(feed_server: FeedServer) -> None:
    feed_server.route("/slow", SAMPLE_FEED, hang=3.0)
    started = time.monotonic()
    with pytest.raises(FeedError, match=r"did not finish sending the feed within 0\.3 s"):
        fetch(feed_server.url("/slow"), timeout=0.3, user_agent="", max_bytes=5_000_000)
    assert time.monotonic() - started < 2.0


def test_timeout_before_headers(feed_server: FeedServer) -> None:
    feed_server.route("/slow", SAMPLE_FEED, delay=3.0)
    with pytest.raises(FeedError, match="did not answer"):
        fetch(feed_server.url("/slow"), timeout=0.3, user_agent="", max_bytes=5_000_000)


def test_refused_connection() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago and has no listener now
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(FeedError) as info:
        fetch(f"http://127.0.0.1:{port}/feed", **LIMITS)
    assert str(info.value).startswith(f"could not reach 127.0.0.1:{port}: connection refused")


@pytest.mark.parametrize("unsized", [False, True])
def test_max_bytes_refuses_a_large_body(feed_server: FeedServer, unsized: bool) -> None:
    big = b"<rss>" + b" " * 40_000_000 + b"</rss>"  # well over what loopback socket buffers absorb
    feed_server.route("/big", big, unsized=unsized)
    with pytest.raises(FeedError, match="over the 1,000,000-byte limit"):
        fetch(feed_server.url("/big"), timeout=5, user_agent="", max_bytes=1_000_000)
    # Refused while streaming: far less than the whole body went out.
    assert feed_server.bytes_sent < len(big)


def test_charset_from_the_http_header(feed_server: FeedServer) -> None:
    body = (FIXTURES / "cp1252.xml").read_bytes().replace(b' encoding="windows-1252"', b"")
    feed_server.route("/feed", body, content_type="application/rss+xml; charset=windows-1252")
    (entry,) = fetch(feed_server.url("/feed"), **LIMITS).entries
    assert entry.title == "Crème brûlée for €5 – naïve pricing"


def test_a_changed_feed_is_fetched_again_after_a_304(feed_server: FeedServer) -> None:
    feed_server.route("/feed", FIXTURES / "empty.xml", etag='"v0"', last_modified="Tue, 10 Feb 2026 08:31:12 GMT")
    first = fetch(feed_server.url("/feed"), **LIMITS)
    assert first.entries == ()
    assert fetch(feed_server.url("/feed"), **LIMITS, etag=first.etag, last_modified=first.last_modified).not_modified
    feed_server.set_body("/feed", SAMPLE_FEED)  # the publication posts: new body, new validators
    later = fetch(feed_server.url("/feed"), **LIMITS, etag=first.etag, last_modified=first.last_modified)
    assert not later.not_modified and len(later.entries) == 4 and later.etag not in ("", first.etag)
    assert fetch(feed_server.url("/feed"), **LIMITS, etag=later.etag).not_modified
    assert feed_server.hits("/feed") == 4
