"""Keeping slow or numerous clients from starving the process: a request deadline, a connection cap, quiet floods.

uvicorn's h11 protocol has no deadline for reading a request: a client that trickles one header byte every few
seconds holds its connection (and a file descriptor) for ever, and `limit_concurrency` only answers 503 once a
whole request has arrived. Under a 1,024-descriptor limit, 1,100 such clients made accept() fail with EMFILE
(asyncio logs a traceback per failure), and the daemon's feed polls, in the same process, could not open sockets.

So each connection gets `web.request_timeout` seconds to deliver a whole request (headers and body; restarted
after each response, so keep-alive works), and the page holds at most `cap()` connections: a quarter of the
descriptor limit, so the polls and the database keep the rest. When a new connection would pass the cap, the one
that has waited longest for its client's request is dropped; a client that sends its request at once is never
the oldest waiter, so a flood of slow clients cannot shut out a health check or the owner. The listen backlog is
kept small too, because asyncio accepts up to `backlog` sockets in one go before any of them can be refused.
Repeated log lines (accept() failures, malformed requests, wrong tokens) are logged once a minute with a count.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)
FD_SHARE = 4  # the page may use at most 1/FD_SHARE of the descriptor limit for its connections
QUIET_SECONDS = 60.0  # a repeated log line is written at most once per this many seconds
_TIMEOUT_ANSWER = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
_FULL_ANSWER = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


def raise_fd_limit() -> int:
    """Raise this process's soft descriptor limit to its hard limit (Python leaves it low); the soft limit now."""
    try:
        import resource
    except ImportError:  # Windows: no such limit to read; assume a small one
        return 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return int(soft)


def cap(max_connections: int, fd_limit: int) -> int:
    """Connections the page may hold: web.max_connections, at most a quarter of the descriptor limit (at least 4)."""
    return max(4, min(max_connections, fd_limit // FD_SHARE))


class Limits:
    """What one server's connections share: the cap, the deadline, the open connections."""

    def __init__(self, max_connections: int, request_timeout: float) -> None:
        self.max_connections, self.request_timeout = max_connections, request_timeout
        self.open: set[GuardedH11Protocol] = set()
        self.quiet = Quiet()

    def admit(self, new: GuardedH11Protocol) -> bool:
        """Make room for `new`: drop the connection that has waited longest for its request; False when none can go."""
        self.open.add(new)
        if len(self.open) <= self.max_connections:
            return True
        waiting = [c for c in self.open if c is not new and c.waiting_since is not None]
        if not waiting:
            self.quiet.warn(log, "review page: %d connections, all busy: refusing new ones", len(self.open))
            new.drop(_FULL_ANSWER)
            return False
        oldest = min(waiting, key=lambda c: c.waiting_since or 0.0)
        self.quiet.warn(log, "review page: at its cap of %d connections: dropping the clients slowest to send "
                        "their requests", self.max_connections)
        oldest.drop(_TIMEOUT_ANSWER)
        return True


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request and a share in the server's connection cap."""

    limits: ClassVar[Limits]
    waiting_since: float | None = None  # when we began waiting for the client's next request
    deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self.limits.admit(self):
            self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self.limits.open.discard(self)
        self._unwatch()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    def pause_writing(self) -> None:
        """The client stopped reading its answer (a full send buffer): it waits on the client too, so the deadline and
        the cap's dropping apply, else a few hundred clients that never read would hold the page's every connection."""
        super().pause_writing()
        if self.waiting_since is None and self.transport is not None and not self.transport.is_closing():
            self.waiting_since = time.monotonic()
            self.deadline = self.loop.call_later(self.limits.request_timeout, self._too_slow)

    def resume_writing(self) -> None:
        super().resume_writing()
        self._unwatch()
        self._watch()

    def drop(self, answer: bytes) -> None:
        """Close at once, with `answer` when no response has begun."""
        self.limits.open.discard(self)
        self._unwatch()
        if self.flow.write_paused:  # an answer the client does not read: close() would wait for it to be read
            self.transport.abort()
        elif not self.transport.is_closing():
            if self.cycle is None or not self.cycle.response_started:
                self.transport.write(answer)
            self.transport.close()

    def _watch(self) -> None:
        """Start the deadline when we wait on the client (a request not fully received); stop it otherwise."""
        if self.transport is None or self.transport.is_closing() or self.flow.write_paused:
            return  # a stalled answer is watched from pause_writing
        if self.conn.their_state in (h11.IDLE, h11.SEND_BODY):
            if self.waiting_since is None:
                self.waiting_since = time.monotonic()
                self.deadline = self.loop.call_later(self.limits.request_timeout, self._too_slow)
        else:
            self._unwatch()

    def _unwatch(self) -> None:
        self.waiting_since = None
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _too_slow(self) -> None:
        self.deadline = None
        if self.conn.their_state in (h11.IDLE, h11.SEND_BODY) or self.flow.write_paused:
            self.limits.quiet.warn(log, "review page: dropping clients that take over %g s to send a request",
                                   self.limits.request_timeout)
            self.drop(_TIMEOUT_ANSWER)


def protocol_for(limits: Limits) -> type[GuardedH11Protocol]:
    """A protocol class bound to one server's limits (uvicorn builds one instance per connection)."""
    return type("PageProtocol", (GuardedH11Protocol,), {"limits": limits})


class Quiet:
    """At most one line per message per QUIET_SECONDS; the next says how many were held back."""

    def __init__(self) -> None:
        self.last: dict[str, tuple[float, int]] = {}

    def allow(self, key: str) -> tuple[bool, int]:
        """Whether a line with this key may be written now, and how many were held back since the last one."""
        now = time.monotonic()
        last, held = self.last.get(key, (-QUIET_SECONDS, 0))
        if now - last >= QUIET_SECONDS:
            self.last[key] = (now, 0)
            return True, held
        self.last[key] = (last, held + 1)
        return False, held + 1

    def warn(self, logger: logging.Logger, message: str, *args: object) -> None:
        """Log a warning unless the same message was logged within QUIET_SECONDS."""
        ok, held = self.allow(message)
        if ok:
            logger.warning(message + (f" ({held} more like it held back)" if held else ""), *args)


class QuietFilter(logging.Filter):
    """A logging filter that passes each distinct message (its first line, unformatted) once per QUIET_SECONDS."""

    def __init__(self) -> None:
        super().__init__()
        self.quiet = Quiet()

    def filter(self, record: logging.LogRecord) -> bool:
        key = f"{record.name}:{str(record.msg).splitlines()[0][:120] if str(record.msg) else ''}"
        ok, held = self.quiet.allow(key)
        if ok and held:
            record.msg = f"{record.msg} ({held} more like it held back)"
        if ok and record.exc_info and isinstance(record.exc_info[1], OSError):
            error = str(record.exc_info[1]).replace("%", "%%")
            record.exc_info, record.exc_text = None, None  # a descriptor shortage needs one line, not a traceback
            record.msg = f"{str(record.msg).splitlines()[0]}: {error}"
        return ok


def quiet_logs(names: tuple[str, ...] = ("asyncio", "uvicorn.error")) -> None:
    """Install one QuietFilter on each of these loggers (once)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, QuietFilter) for f in logger.filters):
            logger.addFilter(QuietFilter())
