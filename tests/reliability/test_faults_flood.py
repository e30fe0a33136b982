"""A slow-headers flood (slowloris) against `bot run --web` in a child whose descriptor limit is low (256, as a
systemd unit's 1,024 is low for 1,100 connections): more connections than the limit, each trickling a header byte
now and then. The page must keep answering /healthz, the daemon's polls must keep reaching their feed, and stderr
must stay small (a flood is logged once, not per event)."""

from __future__ import annotations

import os
import resource
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
from faults import fault
from helpers.botproc import SAMPLE_FEED
from helpers.webchild import Page
from twins.feedserver import FeedServer

pytestmark = pytest.mark.slow
FD_LIMIT = 256
ATTACKERS = 600  # > FD_LIMIT: every connection the page kept open would cost it a descriptor


def _low_fd_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))


class Slowloris:
    """ATTACKERS connections to the page, each sending a header line every second and never finishing its request;
    a dropped one is opened again. Bounded: stop() closes every socket."""

    def __init__(self, port: int) -> None:
        self.port, self.stopping = port, threading.Event()
        self.socks: list[socket.socket | None] = [None] * ATTACKERS
        self.opened = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _open(self) -> socket.socket | None:
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=0.2)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            self.opened += 1
            return s
        except OSError:
            return None

    def _run(self) -> None:
        n = 0
        while not self.stopping.is_set():
            for i, s in enumerate(self.socks):
                if self.stopping.is_set():
                    break
                if s is None:
                    self.socks[i] = self._open()
                    continue
                try:
                    s.sendall(f"X-{n}: {i}\r\n".encode())
                except OSError:
                    s.close()
                    self.socks[i] = self._open()
            n += 1
            self.stopping.wait(1.0)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(30)
        for s in self.socks:
            if s is not None:
                s.close()


@fault("Review page", f"{ATTACKERS} slow-header connections (a header line a second, never finished) to `bot run --web` "
       f"under a {FD_LIMIT}-descriptor limit, for 40 s",
       "/healthz answers within 3 s throughout, the daemon's polls still fetch the feed, stderr stays under 20 kB")
def test_a_slow_headers_flood_starves_neither_the_page_nor_the_polls(tmp_path: Path) -> None:
    with FeedServer() as feeds:
        feeds.route("/feed", SAMPLE_FEED)
        env = {"BOT_FEED_URL": feeds.url("/feed"), "BOT_REVIEW_MODE": "approve", "BOT_DAEMON_INTERVAL": "30",
               "BOT_DAEMON_JITTER": "0", "X_API_KEY": "k", "X_API_SECRET": "s", "X_ACCESS_TOKEN": "t",
               "X_ACCESS_TOKEN_SECRET": "ts"}
        with Page(tmp_path, ["run", "--web"], preexec=_low_fd_limit, name="runweb", **env) as page:
            deadline = time.monotonic() + 20
            while feeds.hits("/feed") < 1:
                assert time.monotonic() < deadline and page.proc.alive(), page.proc.stderr()[-2000:]
                time.sleep(0.2)
            first_poll = time.monotonic()
            flood = Slowloris(page.port)
            try:
                slowest, most_fds = 0.0, 0
                while time.monotonic() - first_poll < 40:  # the daemon's second poll falls inside the flood
                    time.sleep(1)
                    started = time.monotonic()
                    try:
                        answer = httpx.get(page.url("/healthz"), timeout=3)
                    except httpx.HTTPError as exc:
                        raise AssertionError(f"/healthz did not answer within 3 s during the flood: {exc!r}") from exc
                    slowest = max(slowest, time.monotonic() - started)
                    assert answer.status_code == 200, answer.text
                    most_fds = max(most_fds, len(os.listdir(f"/proc/{page.proc.pid}/fd")))
                assert flood.opened > FD_LIMIT  # the flood really was bigger than the descriptor limit
                print(f"flood: {flood.opened} connections opened; slowest /healthz {slowest:.2f} s; "
                      f"most descriptors open in the bot {most_fds} of {FD_LIMIT}")
                assert most_fds < FD_LIMIT * 3 // 4  # a quarter at least stays free for polls and the database
            finally:
                flood.stop()
            assert feeds.hits("/feed") >= 2, page.proc.stderr()[-3000:]  # the poll during the flood reached the feed
            err = page.proc.stderr()
            assert len(err.encode()) < 20_000, err[-3000:]
            assert "Traceback" not in err and "timed out" not in err, err[-3000:]
            assert page.proc.alive()


def _dropped_after(port: int, first: bytes, trickle: bytes, limit: float) -> float:
    """Send `first`, then `trickle` every 0.3 s; seconds until the page closes the connection (fails past `limit`)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
        s.sendall(first)
        s.settimeout(0.3)
        while time.monotonic() - started < limit:
            try:
                s.sendall(trickle)
                s.recv(4096)  # an answer (408) or b"" (closed): either way the page gave up on the request
                return time.monotonic() - started
            except TimeoutError:
                continue
            except OSError:
                return time.monotonic() - started
    raise AssertionError(f"the page kept a trickling client for over {limit:.0f} s")


@fault("Review page", "one client trickling its headers, one trickling a POST body (a byte each 0.3 s), with "
       "web.request_timeout = 2",
       "each is cut off (408) after about 2 s; a keep-alive client sending a request each second is served throughout")
def test_a_slow_client_is_cut_off_at_the_request_timeout(tmp_path: Path) -> None:
    with Page(tmp_path, BOT_WEB_REQUEST_TIMEOUT="2") as page:
        headers = _dropped_after(page.port, b"GET /healthz HTTP/1.1\r\n", b"X: y\r\n", 10)
        body = _dropped_after(page.port, b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 500\r\n"
                              b"Content-Type: application/x-www-form-urlencoded\r\n\r\n", b"a", 10)
        assert 1.5 <= headers <= 4 and 1.5 <= body <= 4, (headers, body)
        with httpx.Client(base_url=page.url("")) as web:  # one connection, kept alive past the 2 s
            for _ in range(4):
                assert web.get("/healthz").status_code == 200
                time.sleep(1)
