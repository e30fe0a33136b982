"""Downloads of the feed and of URLs a feed names: no private address unless allowed (after DNS, on every
redirect hop, IPv4 and IPv6), and one total deadline that a server trickling a byte a second cannot stretch."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from twins.feedserver import FeedServer

from bot.core import settings as config
from bot.core.download import Guard, WebError, blocked_reason, get
from bot.core.errors import FeedError, ImageError
from bot.core.records import Article, Entry
from bot.feed import source as feed_source
from bot.images.sources import CoverImageMaker

FEED = (Path(__file__).resolve().parents[2] / "bot" / "data" / "sample_feed.xml").read_bytes()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


def cover_maker(**changes: object) -> CoverImageMaker:
    base = config.load({}, dotenv=None)
    settings = base.replace(**changes) if changes else base
    return CoverImageMaker(settings.image, settings.feed)


def article(cover_url: str) -> Article:
    return Article(Entry(feed="f", key="/p/x", guid="g", link="https://quiet.substack.com/p/x", title="T",
                         cover_url=cover_url))


@pytest.mark.parametrize(("address", "why"), [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("10.1.2.3", "private"), ("172.16.0.1", "private"),
    ("192.168.1.1", "private"), ("169.254.169.254", "link-local"), ("0.0.0.0", "unspecified"),
    ("224.0.0.251", "multicast"), ("240.0.0.1", "reserved"), ("100.64.0.1", "not public"),
    ("::1", "loopback"), ("::", "unspecified"), ("fe80::1", "link-local"), ("fc00::1", "private"),
    ("ff02::1", "multicast"), ("::ffff:127.0.0.1", "loopback"), ("::ffff:169.254.169.254", "link-local"),
    ("::ffff:10.0.0.1", "private"), ("64:ff9b::a9fe:a9fe", "link-local"), ("2002:7f00:1::", "loopback"),
    ("93.184.215.14", ""), ("151.101.1.1", ""), ("2606:4700:4700::1111", ""), ("::ffff:93.184.215.14", ""),
])
def test_addresses_that_are_not_public_are_named(address: str, why: str) -> None:
    assert blocked_reason(address) == why


def test_a_cover_on_a_loopback_address_is_never_requested(server: FeedServer) -> None:
    server.route("/admin", b"secret admin page", content_type="image/png")
    with pytest.raises(ImageError) as caught:
        cover_maker().make(article(server.url("/admin")), "")
    assert "127.0.0.1" in str(caught.value) and "loopback" in str(caught.value)
    assert "image.allow_hosts" in str(caught.value)
    assert server.hits() == 0


def test_a_name_that_resolves_to_loopback_is_refused_after_dns(server: FeedServer) -> None:
    server.route("/c.png", b"x", content_type="image/png")
    with pytest.raises(ImageError, match="localhost is a loopback address"):
        cover_maker().make(article(f"http://localhost:{server.port}/c.png"), "")
    assert server.hits() == 0


def test_every_redirect_hop_is_checked(server: FeedServer) -> None:
    # localhost is allowed by name, the hop to 127.0.0.1 is not: the guard looks again at each hop.
    server.route("/r", status=302, headers={"Location": server.url("/admin")})
    server.route("/admin", b"secret", content_type="image/png")
    with pytest.raises(ImageError, match="127.0.0.1 is a loopback address"):
        cover_maker(image__allow_hosts=["localhost"]).make(article(f"http://localhost:{server.port}/r"), "")
    assert server.hits("/r") == 1 and server.hits("/admin") == 0


def test_a_redirect_to_the_metadata_address_is_refused_before_connecting(server: FeedServer) -> None:
    server.route("/r", status=301, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    with pytest.raises(ImageError, match="169.254.169.254 is a link-local address"):
        cover_maker(image__allow_hosts=["127.0.0.1"]).make(article(server.url("/r")), "")
    server.route("/r6", status=307, headers={"Location": "http://[::ffff:127.0.0.2]/x"})
    with pytest.raises(ImageError, match="loopback"):
        cover_maker(image__allow_hosts=["127.0.0.1"]).make(article(server.url("/r6")), "")


def test_an_allowed_host_is_fetched_and_redirects_are_bounded(server: FeedServer) -> None:
    server.route("/c.png", b"\x89PNG fake", content_type="image/png")
    assert cover_maker(image__allow_hosts=["127.0.0.1"]).make(article(server.url("/c.png")), "") == b"\x89PNG fake"
    server.route("/loop", status=302, headers={"Location": "/loop"})
    with pytest.raises(WebError, match="redirected more than 5 times"):
        get(server.url("/loop"), timeout=5, max_bytes=1000, guard=Guard(("127.0.0.1",)))
    assert server.hits("/loop") == 6


def test_a_trickling_feed_ends_at_the_total_deadline(server: FeedServer) -> None:
    server.route("/slow", FEED, trickle=0.2)  # a byte every 0.2 s: no single read ever waits 1 s
    started = time.monotonic()
    with pytest.raises(FeedError) as caught:
        feed_source.fetch(server.url("/slow"), timeout=1.5, user_agent="", max_bytes=10**7)
    took = time.monotonic() - started
    assert took < 3.0, took
    assert "did not finish sending the feed within 1.5 s" in str(caught.value)
    assert "did not answer" not in str(caught.value)


def test_a_trickling_cover_ends_at_the_total_deadline(server: FeedServer) -> None:
    server.route("/c.png", b"\x89PNG" + b"x" * 500, content_type="image/png", trickle=0.2)
    started = time.monotonic()
    with pytest.raises(ImageError, match="within 1.5 s"):
        cover_maker(image__allow_hosts=["127.0.0.1"], feed__timeout="1.5").make(article(server.url("/c.png")), "")
    assert time.monotonic() - started < 3.0


def test_a_server_that_sends_headers_and_hangs_ends_at_the_deadline(server: FeedServer) -> None:
    server.route("/hang", FEED, hang=4.0)
    started = time.monotonic()
    with pytest.raises(FeedError, match="did not finish sending the feed within 1 s"):
        feed_source.fetch(server.url("/hang"), timeout=1, user_agent="", max_bytes=10**7)
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize("headers", [{}, {"Connection": "close"}], ids=["keep-alive", "connection-close"])
def test_the_total_deadline_holds_whether_or_not_the_server_closes_the_connection(
        server: FeedServer, headers: dict[str, str]) -> None:
    # With `Connection: close` http.client hands the socket to the response and sets conn.sock to None: the
    # deadline must still reach the socket the body is read from.
    server.route("/slow", FEED, trickle=0.2, headers=headers)
    started = time.monotonic()
    with pytest.raises(WebError) as caught:
        get(server.url("/slow"), timeout=1.5, max_bytes=10**7)
    assert caught.value.kind == "deadline" and time.monotonic() - started < 3.0
