"""What the scripted local servers share: a threaded HTTP server on 127.0.0.1, started and stopped with `with`,
and one way to answer that tolerates a client that gave up."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Served:
    """Mixin: call `self._serve(HandlerClass)` in __post_init__; `with server:` runs it; `base` is its URL."""

    def _serve(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._stop = threading.Event()  # set on exit: wakes any handler that is hanging on purpose
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT"""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Any:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1, no access log, and `send` for a whole answer."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        pass

    def send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        """One answer with a Content-Length; a client that gave up (a timeout test) is not an error."""
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def read_json(self) -> Any:
        """The request body as JSON, or the raw bytes when it is not JSON."""
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
        try:
            return json.loads(raw or b"null")
        except ValueError:
            return raw

    def header_map(self) -> dict[str, str]:
        """The request headers, names in lower case."""
        return {k.lower(): v for k, v in self.headers.items()}
