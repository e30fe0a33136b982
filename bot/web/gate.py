"""The page's outer gate, before any route: who the client is (X-Forwarded-For from named proxies only) and whether
the Host header names this page (DNS rebinding), for every path — /healthz, /metrics, /api/poll and /static too.

Forwarded headers: a client may send any X-Forwarded-For it likes, so it is believed only when the peer is a proxy
the operator named in `web.trusted_proxies`. Proxies append the address they saw, so the list is read from the
right: addresses of named proxies are skipped and the first other one is the client. `*` means every peer is the
one proxy (Heroku: only the router reaches a dyno, and it appends the client's address), so the right-most entry
is the client and whatever the client wrote to its left is ignored.

Host: a DNS-rebinding page reaches the server under the attacker's own host name, so a request is served only when
its Host is a name the page is known by: loopback names, and with BOT_WEB_TOKEN also any IP address (a rebinding
attack needs a name), web.public_url's host, web.allow_hosts (`*.example.com` allowed) and, on Heroku (DYNO set),
*.herokuapp.com (whose DNS Heroku keeps). Without a token the page is loopback-only, as before, except that
web.public_url's own host always reaches the shares route (/media/<token>, networks/media.py): a network fetching a
shared image signs in to nothing, and that route serves nothing but live shares.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.core.settings import Settings
from bot.networks.media import ROUTE as SHARES_ROUTE
from bot.web.guard import Quiet
from bot.web.security import is_loopback, web_token

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str) -> str | None:
    """The IP address in one X-Forwarded-For item (`1.2.3.4`, `1.2.3.4:80`, `[::1]:80`, `::1`), or None."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


class Proxies:
    """The proxies named in web.trusted_proxies."""

    def __init__(self, names: Iterable[str]) -> None:
        names = list(names)
        self.any_peer = "*" in names
        self.networks: list[Network] = [ipaddress.ip_network(n, strict=False) for n in names if n != "*"]

    def named(self, address: str | None) -> bool:
        """Whether `address` is in a named network (never true through `*` alone)."""
        if address is None:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.networks)

    def client(self, peer: str | None, forwarded_for: list[str]) -> str | None:
        """The client's address: the peer, or, when the peer is a named proxy, the right-most address it forwarded
        that is not itself a named proxy."""
        if peer is None or not (self.any_peer or self.named(peer)) or not forwarded_for:
            return peer
        items = [item for value in forwarded_for for item in value.split(",")]
        for item in reversed(items):
            address = _address(item)
            if address is None:
                return peer  # a proxy would not write that: trust nothing further left
            if not self.named(address):
                return address
        return _address(items[0]) or peer


def _host_name(host: str) -> str:
    """The name in a Host header, lower-cased, without port, brackets or trailing dot."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".") if host != "." else host


class Hosts:
    """The Host names this page answers to."""

    def __init__(self, settings: Settings) -> None:
        self.tokenless = not web_token(settings)
        public = urlsplit(settings.web.public_url.strip()).hostname or ""
        self.public = _host_name(public) if public else ""
        names = [public, *settings.web.allow_hosts] if not self.tokenless else []
        if os.environ.get("DYNO") and not self.tokenless:
            names.append("*.herokuapp.com")
        self.names = {_host_name(n) for n in names if n and not n.startswith("*.")}
        self.suffixes = tuple(_host_name(n)[1:] for n in names if n.startswith("*."))

    def allowed(self, host: str, path: str = "") -> bool:
        """Whether a request with this Host header (for this path) is for this page."""
        name = _host_name(host)
        if not name:
            return False
        if name == "localhost" or is_loopback(name):
            return True
        if self.public and name == self.public and path.startswith(SHARES_ROUTE):
            return True
        if self.tokenless:
            return False
        try:
            ipaddress.ip_address(name)
            return True  # a rebinding page is reached by a name, never by an address
        except ValueError:
            pass
        return name in self.names or any(name.endswith(s) and len(name) > len(s) for s in self.suffixes)

    def refusal(self) -> bytes:
        """The 421 answer's text."""
        if self.tokenless:
            return b"this page answers loopback addresses only (BOT_WEB_TOKEN is not set)\n"
        return (b"this page does not answer to that host name: add it to web.allow_hosts (BOT_WEB_ALLOW_HOSTS) "
                b"or set web.public_url\n")


class Gate:
    """ASGI middleware: set the request's client from trusted proxies, then refuse foreign Host headers (421)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app, self.hosts, self.proxies = app, Hosts(settings), Proxies(settings.web.trusted_proxies)
        self.quiet = Quiet()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope.get("headers") or []
        peer = scope.get("client")
        forwarded = [v.decode("latin-1") for k, v in headers if k == b"x-forwarded-for"]
        client = self.proxies.client(peer[0] if peer else None, forwarded)
        if peer and client != peer[0]:
            scope["client"] = (client, 0)
            proto = [v.decode("latin-1").strip().lower() for k, v in headers if k == b"x-forwarded-proto"]
            if proto and proto[-1] in ("http", "https"):
                scope["scheme"] = proto[-1]
        host = next((v.decode("latin-1") for k, v in headers if k == b"host"), "")
        if not self.hosts.allowed(host, str(scope.get("path") or "")):
            self.quiet.warn(log, "review page: refused requests for a host name it does not answer to (421); "
                            "if it is yours, add it to web.allow_hosts")
            body = self.hosts.refusal()
            await send({"type": "http.response.start", "status": 421,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)
