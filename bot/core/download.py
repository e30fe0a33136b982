"""One HTTP GET for the feed and for URLs found inside a feed: a total deadline, a byte cap, redirects followed
here (bounded), and, for URLs a feed names, no private address (SSRF guard), checked after DNS on every hop.

Hand-written on urllib3 rather than requests because requests can neither bound a whole download in time (its
timeout is per socket read, so a server trickling a byte a second holds it for ever) nor connect to the address
that was checked (it resolves the name again, which leaves a DNS-rebinding window). Here the name is resolved
once, every address is checked, and the connection goes to that address, with the name kept for the Host
header and for TLS (SNI and certificate check). Proxy variables (HTTP_PROXY) are not used.

Also here: `quiet_hub`, which stops huggingface_hub's own calls home to huggingface.co.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from bot.core.errors import BotError, clip

if TYPE_CHECKING:  # urllib3 is imported by the first download, not with this module
    from urllib3.response import BaseHTTPResponse

MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)
# 64:ff9b::/96 (NAT64) carries an IPv4 address in its last 32 bits; a private one must not slip through.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class WebError(BotError):
    """A download failed; `kind` says how: blocked, timeout, deadline, too_big, unreachable, tls, redirects, bad_url."""

    def __init__(self, kind: str, message: str, hint: str = "", *, answered: bool = True) -> None:
        super().__init__(message, hint)
        self.kind = kind
        self.answered = answered  # False: not even the status line arrived


@dataclass(frozen=True)
class Guard:
    """Which addresses a download may reach: public ones, and hosts (names or IPs) listed in `allow`."""

    allow: tuple[str, ...] = ()

    def allows_host(self, host: str) -> bool:
        """True when the URL's host name is listed as allowed."""
        return host.lower().rstrip(".") in {a.lower().rstrip(".").strip("[]") for a in self.allow}


@dataclass
class Fetched:
    """What came back: the final URL (after redirects), status, headers and body (read only for a 2xx)."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes = b""
    hops: list[str] = field(default_factory=list)


def blocked_reason(address: str) -> str:
    """Why an IP address is not public ("loopback", "private", ...), or "" when it is a public address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return blocked_reason(str(embedded))  # the IPv4 address is where the packets really go
    for name in ("loopback", "unspecified", "link_local", "multicast", "reserved", "private"):
        if getattr(ip, f"is_{name}"):
            return name.replace("_", "-")
    if not ip.is_global:
        return "not public"
    return ""


def resolve(host: str, port: int) -> list[str]:
    """Every address the host name resolves to (IPv4 and IPv6), in the resolver's order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise WebError("unreachable", f"{host} does not resolve", "check the address") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _pick(host: str, port: int, guard: Guard | None) -> str:
    """The address to connect to, checked against the guard; every address the name has must pass."""
    try:
        literal = str(ipaddress.ip_address(host))
        addresses = [literal]
    except ValueError:
        addresses = resolve(host, port)
    if guard is None or guard.allows_host(host):
        return addresses[0]
    for address in addresses:
        if guard.allows_host(address):
            continue
        why = blocked_reason(address)
        if why:
            raise WebError("blocked", f"{host} is a {why} address ({address}), which a feed may not make the bot fetch",
                           "list the host in image.allow_hosts if it really is yours")
    return addresses[0]


def get(url: str, *, timeout: float, max_bytes: int, headers: Mapping[str, str] | None = None,
        guard: Guard | None = None, max_redirects: int = MAX_REDIRECTS) -> Fetched:
    """GET `url` within `timeout` seconds in all (connect, redirects, body); the body of a 2xx, at most max_bytes."""
    deadline = time.monotonic() + timeout
    hops: list[str] = []
    current = url
    for _ in range(max_redirects + 1):
        hops.append(current)
        result = _one(current, deadline, timeout, max_bytes, dict(headers or {}), guard)
        location = result.headers.get("Location", "")
        if result.status in _REDIRECTS and location:
            current = urljoin(current, location.strip())
            continue
        result.hops = hops
        return result
    raise WebError("redirects", f"{_where(url)} redirected more than {max_redirects} times",
                   "open the address in a browser to check it")


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or url}{f':{parts.port}' if parts.port else ''}"


def _one(url: str, deadline: float, timeout: float, max_bytes: int, headers: dict[str, str],
         guard: Guard | None) -> Fetched:
    from urllib3.connection import HTTPConnection, HTTPSConnection

    try:
        parts = urlsplit(url)
        scheme, host, port = parts.scheme.lower(), parts.hostname or "", parts.port
    except ValueError as exc:
        raise WebError("bad_url", f"{clip(url, 120)!r} is not a valid address", "check the URL") from exc
    if scheme not in ("http", "https") or not host:
        raise WebError("bad_url", f"{clip(url, 120)!r} is not an http(s) address", "give an http:// or https:// URL")
    port = port or (443 if scheme == "https" else 80)
    address = _pick(host, port, guard)
    left = deadline - time.monotonic()
    if left <= 0:
        raise _expired(url, timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default_port = port == (443 if scheme == "https" else 80)
    shown_host = f"[{host}]" if ":" in host else host
    headers.setdefault("Host", shown_host if default_port else f"{shown_host}:{port}")
    headers.setdefault("Accept-Encoding", "gzip, deflate")
    if scheme == "https":
        import certifi

        conn: HTTPConnection = HTTPSConnection(address, port, timeout=min(timeout, left), server_hostname=host,
                                    assert_hostname=host, cert_reqs="CERT_REQUIRED", ca_certs=certifi.where())
    else:
        conn = HTTPConnection(address, port, timeout=min(timeout, left))
    expired = threading.Event()
    sockets: list[socket.socket] = []  # every socket the connection used, held here: see cut()

    def cut() -> None:
        # The deadline passed while a read was blocked: shutting the socket down wakes that read at once. The
        # socket is the one kept in `sockets`, not conn.sock: on an answer with `Connection: close` (or HTTP/1.0)
        # http.client's getresponse() hands the socket to the response and sets conn.sock to None.
        expired.set()
        for sock in [*sockets, getattr(conn, "sock", None)]:
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    timer = threading.Timer(left, cut)
    timer.daemon = True
    timer.start()
    answered = False
    try:
        conn.connect()
        sockets.append(conn.sock)
        if expired.is_set():  # the deadline passed while connecting, before the socket was kept
            raise _expired(url, timeout)
        conn.request("GET", target, headers=headers, preload_content=False)
        response = conn.getresponse()
        answered = True
        status = response.status
        found = {k: v for k, v in response.headers.items()}
        body = b""
        if 200 <= status < 300:
            body = _read(response, url, max_bytes, expired)
        if expired.is_set():
            raise _expired(url, timeout, answered)
        return Fetched(url, status, _Headers(found), body)
    except WebError:
        raise
    except Exception as exc:  # converted here: every library and socket error becomes one WebError
        if expired.is_set():
            raise _expired(url, timeout, answered) from exc
        raise _convert(exc, url, host, timeout) from exc
    finally:
        timer.cancel()
        conn.close()
        for sock in sockets:  # the one a `Connection: close` answer took over from conn
            try:
                sock.close()
            except OSError:
                pass


def _read(response: BaseHTTPResponse, url: str, max_bytes: int, expired: threading.Event) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise WebError("too_big", f"{_where(url)} sends {int(declared):,} bytes, over the {max_bytes:,}-byte limit")
    chunks: list[bytes] = []
    total = 0
    while True:
        # Counted after gzip/deflate decoding, so a compressed bomb is stopped at the same limit.
        chunk = response.read(65536, decode_content=True)
        if not chunk or expired.is_set():
            break
        total += len(chunk)
        if total > max_bytes:
            raise WebError("too_big", f"{_where(url)} sent over {max_bytes:,} bytes, the limit")
        chunks.append(chunk)
    return b"".join(chunks)


def _expired(url: str, timeout: float, answered: bool = False) -> WebError:
    if not answered:
        return WebError("deadline", f"{_where(url)} did not answer within {timeout:g} s", "the server is slow or down; try later",
                        answered=False)
    return WebError("deadline", f"{_where(url)} did not finish sending within {timeout:g} s (the whole download's limit)",
                    "the server is very slow; try later")


def _convert(exc: Exception, url: str, host: str, timeout: float) -> WebError:
    from urllib3 import exceptions as u3

    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, ConnectionRefusedError) or "refused" in text.lower():
        return WebError("unreachable", f"{_where(url)} refused the connection", "check the address and that the server runs")
    if isinstance(exc, u3.NameResolutionError) or "resolution" in text.lower():
        return WebError("unreachable", f"{host} does not resolve", "check the address")
    if isinstance(exc, (u3.ConnectTimeoutError,)) or (isinstance(exc, (TimeoutError, socket.timeout))
                                                       and "connect" in text.lower()):
        return WebError("timeout", f"timed out connecting to {_where(url)} after {timeout:g} s", "check the address")
    if isinstance(exc, (u3.ReadTimeoutError, TimeoutError, socket.timeout)):
        return WebError("timeout", f"{_where(url)} sent nothing for {timeout:g} s", "the server is slow or down; try later")
    if isinstance(exc, (u3.SSLError,)) or "SSL" in type(exc).__name__ or "certificate" in text.lower():
        return WebError("tls", f"TLS error talking to {host}", "check the address (https?) and the system clock")
    if isinstance(exc, (u3.ProtocolError, u3.DecodeError, ConnectionError, OSError)) or "IncompleteRead" in text:
        return WebError("broken", f"the connection to {_where(url)} broke off ({type(exc).__name__})", "try again later")
    return WebError("error", f"cannot download from {_where(url)}: {type(exc).__name__}", "check the address")


class _Headers(Mapping[str, str]):
    """Response headers, looked up without regard to case."""

    def __init__(self, items: Mapping[str, str]) -> None:
        self._items = {k.lower(): v for k, v in items.items()}

    def __getitem__(self, key: str) -> str:
        return self._items[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return repr(self._items)


def guard_for(allow: Iterable[str]) -> Guard:
    """The guard for URLs a feed names, allowing the listed hosts."""
    return Guard(tuple(a.strip() for a in allow if a.strip()))


def quiet_hub() -> None:
    """Switch huggingface_hub's own calls home (telemetry, the agent list) off; call it before using the library.

    On its first request huggingface_hub 2.x fetches an "agent harness" list from huggingface.co to decorate its
    User-Agent, even when every request goes to a self-hosted BOT_LLM_BASE_URL or BOT_IMAGE_BASE_URL. Telemetry
    off skips that lookup, and an empty list in its place means it is never fetched, whoever asks.
    """
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")  # read when huggingface_hub is first imported
    from huggingface_hub import constants

    constants.HF_HUB_DISABLE_TELEMETRY = True  # imported earlier (gradio_client does): set it where it is read
    try:
        from huggingface_hub.utils import _detect_agent

        if getattr(_detect_agent, "_registry", None) is None:
            _detect_agent._registry = {"standardEnvVars": [], "harnesses": {}}
    except ImportError:  # an older huggingface_hub has no agent detection, and nothing to switch off
        pass
