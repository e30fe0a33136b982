"""The test run's network guard: loaded by every Python child the tests start (this folder is on their PYTHONPATH)
and installed in the pytest process by conftest. Any connection to, or name lookup of, anything but loopback
fails at once with an OSError naming it, and is written to the file in TEST_NETLOG, so a test whose code
swallows the error (as huggingface_hub does) still fails: conftest checks that file after every test.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}
_real = {"connect": socket.socket.connect, "connect_ex": socket.socket.connect_ex,
         "getaddrinfo": socket.getaddrinfo, "sendto": socket.socket.sendto}


class NetworkGuardError(ConnectionRefusedError):
    """A test tried to leave 127.0.0.1."""


def _loopback(host: object) -> bool:
    if host is None:
        return True
    text = host.decode() if isinstance(host, bytes) else str(host)
    text = text.strip("[]").split("%", 1)[0].lower().rstrip(".")
    if text in LOOPBACK_NAMES:
        return True
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


def _refuse(what: str) -> NetworkGuardError:
    line = f"network guard: refused {what} (tests stay on 127.0.0.1) in pid {os.getpid()}: {' '.join(sys.argv)[:200]}"
    path = os.environ.get("TEST_NETLOG")
    if path:
        try:
            with open(path, "a", encoding="utf-8") as log:
                log.write(line + "\n")
        except OSError:
            pass
    return NetworkGuardError(line)


def _check_address(sock: socket.socket, address: object) -> None:
    if sock.family == getattr(socket, "AF_UNIX", None):
        return
    host = address[0] if isinstance(address, tuple) and address else address
    if not _loopback(host):
        raise _refuse(f"a connection to {address!r}")


def _connect(self: socket.socket, address: object) -> None:
    _check_address(self, address)
    return _real["connect"](self, address)


def _connect_ex(self: socket.socket, address: object) -> int:
    _check_address(self, address)
    return _real["connect_ex"](self, address)


def _sendto(self: socket.socket, data: bytes, *args: object) -> int:
    _check_address(self, args[-1])
    return _real["sendto"](self, data, *args)


def _literal(host: object) -> bool:
    try:
        ipaddress.ip_address((host.decode() if isinstance(host, bytes) else str(host)).strip("[]").split("%", 1)[0])
        return True
    except ValueError:
        return False


def _getaddrinfo(host: object, *args: object, **kwargs: object) -> list:  # type: ignore[type-arg]
    if not (_loopback(host) or _literal(host)):  # an address needs no DNS; connecting to it is checked
        raise _refuse(f"a name lookup of {host!r}")
    return _real["getaddrinfo"](host, *args, **kwargs)


def install() -> None:
    """Patch the socket module of this process (idempotent)."""
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = _sendto  # type: ignore[method-assign, assignment]
    socket.getaddrinfo = _getaddrinfo  # type: ignore[assignment]


def skew_clock(seconds: float) -> None:
    """The fake clock of a child: its wall clock (time.time, which the bot's SystemClock reads) runs `seconds` ahead,
    so a test can start the bot "after" a backoff without sleeping through it."""
    import time

    real_time, real_ns = time.time, time.time_ns
    time.time = lambda: real_time() + seconds  # type: ignore[assignment]
    time.time_ns = lambda: real_ns() + int(seconds * 1e9)  # type: ignore[assignment]


if os.environ.get("TEST_NETGUARD") == "1":
    install()
if float(os.environ.get("TEST_CLOCK_SKEW") or 0):
    skew_clock(float(os.environ["TEST_CLOCK_SKEW"]))
