"""A local image server on 127.0.0.1 for the image tests, in a thread.

POST to any path speaks Hugging Face's text-to-image task API as huggingface_hub uses it against a
URL (the design notes): body {"inputs": prompt, "parameters": {...}}, Accept: image/png, answer a PNG. Its
answers are scripted one per request ("ok", an HTTP status, "hang", "garbage"); when the script runs
out it answers "ok". GET serves files put in `files`, with whatever Content-Type the test declares,
the way Substack serves covers. Every request's headers and JSON body are recorded.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from PIL import Image, ImageDraw

from twins.localhttp import QuietHandler, Served


@dataclass
class Seen:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any = None


@dataclass
class ImageServer(Served):
    """Start with `with ImageServer() as server:`; `server.url` is the text-to-image endpoint."""

    script: list[Any] = field(default_factory=list)  # "ok" | int status | "hang" | "garbage" | "trickle"
    files: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)  # path -> (status, type, body)
    seen: list[Seen] = field(default_factory=list)
    hang_seconds: float = 5.0
    retry_after: str = "2"

    def __post_init__(self) -> None:
        self._serve(_handler(self))

    @property
    def url(self) -> str:
        """The text-to-image endpoint (any path works; this one looks like a deployed model)."""
        return f"{self.base}/models/local-sd"

    def posts(self) -> list[Seen]:
        """The text-to-image requests received so far."""
        return [s for s in self.seen if s.method == "POST"]

    def next_reply(self) -> Any:
        with self._lock:
            return self.script.pop(0) if self.script else "ok"


def generated_png(prompt: str, width: int, height: int) -> bytes:
    """A PNG of the requested size whose colour depends on the prompt (a stand-in for a model)."""
    shade = sum(prompt.encode()) % 200
    image = Image.new("RGB", (width, height), (30, 60 + shade // 2, 90 + shade // 3))
    ImageDraw.Draw(image).ellipse((width // 4, height // 4, 3 * width // 4, 3 * height // 4), fill=(240, 200, 80))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _handler(server: ImageServer) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802
            server.seen.append(Seen("GET", self.path, self.header_map()))
            status, content_type, body = server.files.get(self.path, (404, "text/html", b"<html>not found</html>"))
            self.send(status, body, content_type)

        def do_POST(self) -> None:  # noqa: N802
            body = self.read_json()
            server.seen.append(Seen("POST", self.path, self.header_map(), body))
            reply = server.next_reply()
            if reply == "hang":
                server._stop.wait(server.hang_seconds)
                reply = 503
            if reply == "trickle":  # a whole PNG promised, then one byte every 0.2 s: no read ever times out
                png = generated_png("trickle", 64, 64)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(png)))
                self.end_headers()
                for byte in png:
                    if server._stop.wait(0.2):
                        return
                    try:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                    except OSError:
                        return
                return
            if reply == "garbage":
                self.send(200, b"<html>this is not an image</html>", "image/png")
            elif isinstance(reply, int):
                message = json.dumps({"error": f"scripted {reply}"}).encode()
                self.send(reply, message, "application/json", {"Retry-After": server.retry_after})
            else:
                params = (body or {}).get("parameters", {}) if isinstance(body, dict) else {}
                prompt = body.get("inputs", "") if isinstance(body, dict) else ""
                png = generated_png(prompt, int(params.get("width") or 512), int(params.get("height") or 512))
                self.send(200, png, "image/png")

    return Handler
