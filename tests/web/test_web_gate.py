"""The review page's gate rules as tables: whose X-Forwarded-For is believed and which address it yields, which
Host names are served, and the per-client throttle of wrong tokens (a fake clock, no sleeping)."""

from __future__ import annotations

import pytest

from bot.core import settings as config
from bot.core.errors import ConfigError
from bot.web.gate import Hosts, Proxies
from bot.web.guard import cap
from bot.web.throttle import BURST, REFILL, Throttle, client_key


@pytest.mark.parametrize("trusted, peer, forwarded, client", [
    ([], "127.0.0.1", ["203.0.113.5"], "127.0.0.1"),  # loopback is no proxy unless named
    (["10.0.0.0/8"], "192.168.1.9", ["203.0.113.5"], "192.168.1.9"),  # a peer that is not a named proxy
    (["127.0.0.1"], "127.0.0.1", ["203.0.113.5"], "203.0.113.5"),
    (["127.0.0.1"], "127.0.0.1", ["10.9.9.9, 198.51.100.7"], "198.51.100.7"),  # what the client wrote is left of it
    (["10.0.0.0/8"], "10.1.1.1", ["6.6.6.6, 198.51.100.7, 10.2.2.2"], "198.51.100.7"),  # a chain of named proxies
    (["*"], "10.1.1.1", ["6.6.6.6", "198.51.100.7"], "198.51.100.7"),  # Heroku: the right-most, never the left
    (["*"], "10.1.1.1", ["198.51.100.7:4431"], "198.51.100.7"),
    (["*"], "10.1.1.1", ["[2001:db8::1]:443"], "2001:db8::1"),
    (["*"], "10.1.1.1", ["not-an-address"], "10.1.1.1"),
    (["*"], "10.1.1.1", [], "10.1.1.1"),
])
def test_forwarded_for_is_believed_from_named_proxies_only(trusted: list[str], peer: str, forwarded: list[str],
                                                            client: str) -> None:
    assert Proxies(trusted).client(peer, forwarded) == client


def test_a_trusted_proxy_that_is_no_address_is_refused_at_load() -> None:
    with pytest.raises(ConfigError, match="web.trusted_proxies"):
        config.load({"BOT_WEB_TRUSTED_PROXIES": "proxy.example.com"}, dotenv=None)
    assert config.load({"BOT_WEB_TRUSTED_PROXIES": "*, 10.0.0.0/8, ::1"}, dotenv=None).web.trusted_proxies


@pytest.mark.parametrize("env, host, served", [
    ({}, "127.0.0.1:8080", True), ({}, "localhost", True), ({}, "[::1]:8080", True), ({}, "LOCALHOST.", True),
    ({}, "evil.example.com", False), ({}, "10.0.0.5", False), ({}, "", False), ({}, "localhost.evil.example", False),
    ({"BOT_WEB_TOKEN": "t"}, "10.0.0.5:8080", True),  # an address: never a rebinding page's name
    ({"BOT_WEB_TOKEN": "t"}, "evil.example.com", False),
    ({"BOT_WEB_TOKEN": "t", "BOT_WEB_PUBLIC_URL": "https://bot.example.com/"}, "bot.example.com", True),
    ({"BOT_WEB_TOKEN": "t", "BOT_WEB_PUBLIC_URL": "https://bot.example.com/"}, "other.example.com", False),
    ({"BOT_WEB_TOKEN": "t", "BOT_WEB_ALLOW_HOSTS": "*.example.com"}, "a.example.com:443", True),
    ({"BOT_WEB_TOKEN": "t", "BOT_WEB_ALLOW_HOSTS": "*.example.com"}, "example.com", False),
    ({"BOT_WEB_TOKEN": "t", "BOT_WEB_ALLOW_HOSTS": "*.example.com"}, "evilexample.com", False),
    ({"BOT_WEB_TOKEN": "t", "DYNO": "web.1"}, "my-bot.herokuapp.com", True),
    ({"DYNO": "web.1"}, "my-bot.herokuapp.com", False),  # no token: loopback only, Heroku or not
])
def test_host_names_served(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], host: str, served: bool) -> None:
    if "DYNO" in env:
        monkeypatch.setenv("DYNO", env["DYNO"])
    else:
        monkeypatch.delenv("DYNO", raising=False)
    settings = config.load({k: v for k, v in env.items() if k != "DYNO"}, dotenv=None)
    assert Hosts(settings).allowed(host) is served


def test_the_throttle_counts_wrong_tokens_per_client_and_forgives_with_time() -> None:
    now = [1000.0]
    throttle = Throttle(now=lambda: now[0])
    states = [throttle.failed("198.51.100.7") for _ in range(BURST)]
    assert states[0] == "first" and states[-1] == "throttled" and states[1:-1] == [""] * (BURST - 2)
    assert 1 <= throttle.retry_after("198.51.100.7") <= REFILL
    assert throttle.retry_after("198.51.100.8") == 0  # someone else is not locked out
    now[0] += REFILL
    assert throttle.retry_after("198.51.100.7") == 0  # one more try after REFILL seconds
    throttle.failed("198.51.100.7")
    assert throttle.retry_after("198.51.100.7") > 0


def test_ipv6_clients_are_counted_per_64() -> None:
    assert client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:ffff::9") != client_key("2001:db8:1:3::1")
    assert client_key("::ffff:198.51.100.7") == "198.51.100.7"


@pytest.mark.parametrize("setting, fd_limit, most", [(200, 1024, 200), (200, 256, 64), (200, 20, 5), (200, 8, 4)])
def test_the_connection_cap_leaves_three_quarters_of_the_descriptors(setting: int, fd_limit: int, most: int) -> None:
    assert cap(setting, fd_limit) == most


def test_a_flood_of_accept_failures_is_logged_once_without_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    import errno
    import logging

    from bot.web.guard import QuietFilter

    logger = logging.getLogger("test.flood")
    logger.addFilter(QuietFilter())
    try:
        with caplog.at_level(logging.ERROR, logger="test.flood"):
            for fd in range(500):
                try:
                    raise OSError(errno.EMFILE, "Too many open files")
                except OSError:
                    logger.error("socket.accept() out of system resource\nsocket: <socket fd=%d>" % fd, exc_info=True)
    finally:
        logger.filters.clear()
    assert len(caplog.records) == 1
    assert "Too many open files" in caplog.text and "Traceback" not in caplog.text


def test_without_a_token_the_public_host_reaches_only_the_shares_route() -> None:
    from helpers.xkit import settings_for

    hosts = Hosts(settings_for("http://127.0.0.1:9", {}, web__public_url="https://bot.example"))
    assert hosts.allowed("bot.example", "/media/" + "a" * 43)
    assert not hosts.allowed("bot.example", "/") and not hosts.allowed("bot.example", "/api/poll")
    assert not hosts.allowed("evil.example", "/media/" + "a" * 43)
