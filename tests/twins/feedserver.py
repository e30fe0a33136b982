"""A real feed server on 127.0.0.1 for tests: routes, ETag/Last-Modified with 304s, delays, hangs, counters.

    with FeedServer() as srv:
        srv.route("/feed", body, etag='"v1"')
        fetch(srv.url("/feed"), ...)
        assert srv.hits("/feed") == 1 and srv.user_agents[-1].startswith("substack-thread-bot/")
        srv.set_body("/feed", newer_body)  # new ETag too: the next conditional GET gets a 200
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MAX_WAIT = 5.0  # no delay or hang outlives this, so a broken test cannot stall the suite


@dataclass
class Route:
    """What one path answers."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str = ""
    last_modified: str = ""
    delay: float = 0.0  # seconds to wait before answering
    hang: float = 0.0  # seconds to wait after the headers, before the body (a stalled server)
    unsized: bool = False  # no Content-Length, body until close (the client cannot know the size up front)
    headers: dict[str, str] = field(default_factory=dict)
    trickle: float = 0.0  # seconds between single bytes of the body (a server that never quite stalls)


@dataclass
class Seen:
    """One request the server received."""

    path: str
    headers: dict[str, str]


class FeedServer:
    """A threaded stdlib HTTP server on 127.0.0.1, port chosen by the OS; a context manager."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self.bytes_sent = 0
        self._version = 0
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._started = False

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def url(self, path: str = "/feed") -> str:
        """The absolute URL of a path on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, body: bytes | str | Path = b"", **options: Any) -> Route:
        """Serve `body` (bytes, text, or a file's bytes) at `path`; options are Route fields."""
        if isinstance(body, Path):
            body = body.read_bytes()
        elif isinstance(body, str):
            body = body.encode("utf-8")
        self.routes[path] = Route(body=body, **options)
        return self.routes[path]

    def set_body(self, path: str, body: bytes | str | Path) -> Route:
        """Change what `path` serves (a feed gaining a post); its ETag / Last-Modified change with it."""
        if isinstance(body, Path):
            body = body.read_bytes()
        elif isinstance(body, str):
            body = body.encode("utf-8")
        with self._lock:
            route = self.routes.get(path) or Route()
            self._version += 1
            # New validators whenever the route had them, so a conditional GET gets a 200, not a 304.
            etag = f'"v{self._version}-{len(body)}"' if route.etag else ""
            modified = _http_date(self._version) if route.last_modified else ""
            self.routes[path] = replace(route, body=body, etag=etag, last_modified=modified)
            return self.routes[path]

    def reset_counts(self) -> None:
        """Forget the requests seen and bytes sent so far."""
        with self._lock:
            self.requests.clear()
            self.bytes_sent = 0

    def hits(self, path: str | None = None) -> int:
        """How many requests arrived (for one path, or in all)."""
        with self._lock:
            return sum(1 for r in self.requests if path is None or r.path == path)

    @property
    def user_agents(self) -> list[str]:
        """The User-Agent header of each request, in order ("" when none was sent)."""
        with self._lock:
            return [r.headers.get("user-agent", "") for r in self.requests]

    def start(self) -> FeedServer:
        """Start serving in a background thread."""
        if not self._started:
            self._thread.start()
            self._started = True
        return self

    def stop(self) -> None:
        """Release any hanging handler, stop serving and close the socket."""
        self._release.set()
        if self._started:
            self._httpd.shutdown()
            self._thread.join(timeout=MAX_WAIT)
        self._httpd.server_close()

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _record(self, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append(Seen(path, headers))

    def _sent(self, n: int) -> None:
        with self._lock:
            self.bytes_sent += n

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._release.wait(min(seconds, MAX_WAIT))


def _http_date(version: int) -> str:
    # A fixed base plus one minute per change: distinct, ordered, and independent of the wall clock.
    return formatdate(1_767_225_600 + 60 * version, usegmt=True)


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
            pass

        def do_GET(self) -> None:  # noqa: N802 - stdlib's name
            path = self.path.split("?", 1)[0]
            server._record(path, {k.lower(): v for k, v in self.headers.items()})
            route = server.routes.get(path)
            if route is None:
                self._answer(404, b"not found", "text/plain", {})
                return
            server._wait(route.delay)
            extra = dict(route.headers)
            if route.etag:
                extra["ETag"] = route.etag
            if route.last_modified:
                extra["Last-Modified"] = route.last_modified
            if route.status == 200 and self._fresh(route):
                self._answer(304, b"", "", extra)
                return
            self._answer(route.status, route.body, route.content_type, extra, hang=route.hang,
                         unsized=route.unsized, trickle=route.trickle)

        def _fresh(self, route: Route) -> bool:
            match = self.headers.get("If-None-Match", "")
            if route.etag and match:
                return route.etag in [m.strip() for m in match.split(",")] or match.strip() == "*"
            since = self.headers.get("If-Modified-Since", "")
            return bool(route.last_modified and since and since == route.last_modified)

        def _answer(self, status: int, body: bytes, content_type: str, extra: dict[str, str], *,
                    hang: float = 0.0, unsized: bool = False, trickle: float = 0.0) -> None:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            for name, value in extra.items():
                self.send_header(name, value)
            if unsized:
                self.send_header("Connection", "close")
                self.close_connection = True
            else:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.flush()
            server._wait(hang)
            step = 1 if trickle else 65536
            try:
                for start in range(0, len(body), step):
                    if trickle:
                        server._wait(trickle)
                        if server._release.is_set():
                            return
                    piece = body[start:start + step]
                    self.wfile.write(piece)
                    self.wfile.flush()
                    server._sent(len(piece))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (max_bytes, timeout): that is what some tests check

    return Handler
