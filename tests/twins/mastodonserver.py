"""A local Mastodon-shaped server, written from Mastodon's API documentation (no Mastodon installs from the
registries here): the parts the bot uses, with the rules that matter to it.

- Bearer tokens: every route but GET /api/v2/instance needs `Authorization: Bearer TOKEN` (401 otherwise).
- GET /api/v2/instance: configuration.statuses.max_characters and characters_reserved_per_url. The deprecated
  GET /api/v1/instance is not served (404), so nothing the bot does may depend on it.
- GET /api/v1/accounts/verify_credentials; GET /api/v1/accounts/:id/statuses (newest first).
- POST /api/v2/media (multipart `file`, `description`): 202 with a null `url` while "processing"; GET
  /api/v1/media/:id answers 206 until processed, then 200 with the url. A status with unprocessed media is 422.
- POST /api/v1/statuses (`status`, `in_reply_to_id`, `media_ids[]`, `visibility`): 422 over the limit (counted
  here independently: grapheme clusters, each http(s) URL as characters_reserved_per_url); an Idempotency-Key
  seen in the last hour returns the status it made, not a new one.
- 429 with X-RateLimit-Reset (ISO 8601) when a fault asks for it; "drop" makes the status, then closes the
  connection without an answer; "garbage" answers 200 with a body that is not JSON; "hang" never answers (until
  the server stops).
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import regex

from twins.localhttp import QuietHandler, Served

TOKEN = "mastodon-test-token-0000"
_URL = re.compile(r"https?://[^\s<>\"]+")


def length(text: str, per_url: int) -> int:
    """What Mastodon counts: grapheme clusters, each URL with a scheme as `per_url` characters."""
    return len(regex.findall(r"\X", _URL.sub("x" * per_url, text)))


@dataclass
class MastodonServer(Served):
    """The local server; a context manager. State (statuses, media, requests) is inspectable."""

    max_characters: int = 500
    per_url: int = 23
    processing_polls: int = 1  # GET /api/v1/media/:id answers 206 this many times before 200
    clock: Any = time.time
    statuses: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    keys: dict[str, tuple[float, str]] = field(default_factory=dict)
    faults: dict[str, list[str]] = field(default_factory=dict)
    hold: threading.Event | None = None  # when set up, POST /api/v1/statuses number `hold_at` waits on it
    hold_at: int = 0
    held: threading.Event = field(default_factory=threading.Event)
    token: str = TOKEN  # the one access token it accepts

    def __post_init__(self) -> None:
        self.next_id = 110_000_000_000_000_000
        self._serve(_handler(self))

    @property
    def url(self) -> str:
        return self.base

    def fault(self, route: str, kind: str) -> None:
        """Queue one fault for the next request to `route` ("POST /api/v1/statuses"): "429", "500", "drop", "garbage", "hang"."""
        self.faults.setdefault(route, []).append(kind)

    def new_id(self) -> str:
        with self._lock:
            self.next_id += 1
            return str(self.next_id)

    def create_status(self, form: dict[str, list[str]], key: str) -> tuple[int, dict[str, Any]]:
        now = self.clock()
        with self._lock:
            if key and key in self.keys and now - self.keys[key][0] < 3600:
                return 200, next(s for s in self.statuses if s["id"] == self.keys[key][1])
        text = (form.get("status") or [""])[0]
        media_ids = form.get("media_ids[]") or form.get("media_ids") or []
        reply = (form.get("in_reply_to_id") or [None])[0]
        if not text.strip() and not media_ids:
            return 422, {"error": "Validation failed: Text can't be blank"}
        if length(text, self.per_url) > self.max_characters:
            return 422, {"error": f"Validation failed: Text character limit of {self.max_characters} exceeded"}
        if reply and not any(s["id"] == reply for s in self.statuses):
            return 404, {"error": "Record not found"}
        for media_id in media_ids:
            if media_id not in self.media:
                return 422, {"error": "Validation failed: media not found"}
            if not self.media[media_id]["url"]:
                return 422, {"error": "Cannot attach files that have not finished processing. Try again in a moment!"}
        status_id = self.new_id()
        paragraphs = "".join(f"<p>{_escape(p).replace(chr(10), '<br />')}</p>" for p in text.split("\n\n"))
        status = {"id": status_id, "created_at": datetime.fromtimestamp(now, UTC).isoformat(),
                  "in_reply_to_id": reply, "visibility": (form.get("visibility") or ["public"])[0],
                  "content": paragraphs, "text": text, "url": f"{self.base}/@writer/{status_id}",
                  "media_attachments": [self.media[m] for m in media_ids], "account": ACCOUNT,
                  "idempotency_key": key}
        with self._lock:
            self.statuses.append(status)
            if key:
                self.keys[key] = (now, status_id)
        return 200, status


ACCOUNT = {"id": "1", "username": "writer", "acct": "writer", "display_name": "The Quiet Index",
           "url": "https://mastodon.example/@writer"}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _multipart(content_type: str, raw: bytes) -> dict[str, Any]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
    out: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        out[str(name)] = part.get_payload(decode=True)
    return out


def _handler(server: MastodonServer) -> type[QuietHandler]:
    class Handler(QuietHandler):
        def _answer(self, status: int, body: Any, extra: dict[str, str] | None = None) -> None:
            self.send(status, json.dumps(body).encode(), "application/json; charset=utf-8", extra)

        def _route(self, method: str) -> None:
            path = self.path.split("?")[0].rstrip("/") or "/"  # Rails routes ignore a trailing slash
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
            headers = self.header_map()
            server.requests.append((method, path, headers))
            route = f"{method} {re.sub(r'/[0-9]+(?=/|$)', '/:id', path)}"
            if path != "/api/v2/instance" and headers.get("authorization") != f"Bearer {server.token}":
                return self._answer(401, {"error": "The access token is invalid"})
            queued = server.faults.get(route) or []
            fault = queued.pop(0) if queued else ""
            if fault == "429":
                reset = datetime.fromtimestamp(server.clock() + 30, UTC).isoformat()
                return self._answer(429, {"error": "Too many requests"},
                                    {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset})
            if fault == "500":
                return self._answer(500, {"error": "internal"})
            if fault.startswith("echo:"):  # a 422 repeating the bearer token, shaped (helpers/echo.py)
                from helpers.echo import echo

                return self._answer(422, {"error": echo(headers.get("authorization", "").removeprefix("Bearer "),
                                                        fault[len("echo:"):])})
            if fault == "echo200":  # a 200 whose account names the request's Authorization header (a proxy's echo)
                return self._answer(200, {**ACCOUNT, "acct": f"writer ({headers.get('authorization', '')})"})
            if fault == "garbage":
                return self.send(200, b"<html>maintenance</html>", "application/json; charset=utf-8")
            if fault == "hang":
                server._stop.wait(60)
                self.close_connection = True
                return
            if route == "GET /api/v2/instance":
                return self._answer(200, {"domain": "mastodon.example", "version": "4.3.0",
                                          "api_versions": {"mastodon": 2}, "configuration": {
                    "statuses": {"max_characters": server.max_characters, "max_media_attachments": 4,
                                 "characters_reserved_per_url": server.per_url},
                    "media_attachments": {"image_size_limit": 16777216, "description_limit": 1500}}})
            if route == "GET /api/v1/accounts/verify_credentials":
                return self._answer(200, ACCOUNT)
            if route == "GET /api/v1/accounts/:id/statuses":
                return self._answer(200, list(reversed(server.statuses))[:40])
            if route == "POST /api/v2/media":
                fields = _multipart(self.headers.get("Content-Type", ""), raw)
                if not fields.get("file"):
                    return self._answer(422, {"error": "Validation failed: File can't be blank"})
                media_id = server.new_id()
                description = (fields.get("description") or b"").decode()
                server.media[media_id] = {"id": media_id, "type": "image", "url": None, "description": description,
                                          "size": len(fields["file"]), "polls": 0}
                return self._answer(202, server.media[media_id])
            if route == "GET /api/v1/media/:id":
                media = server.media.get(path.rsplit("/", 1)[1])
                if media is None:
                    return self._answer(404, {"error": "Record not found"})
                if media["polls"] < server.processing_polls:
                    media["polls"] += 1
                    return self._answer(206, media)
                media["url"] = f"{server.base}/media/{media['id']}.jpg"
                return self._answer(200, media)
            if route == "POST /api/v1/statuses":
                form = _form(self.headers.get("Content-Type", ""), raw)
                if server.hold is not None and len(server.statuses) + 1 == server.hold_at:
                    server.held.set()
                    server.hold.wait(60)
                status, body = server.create_status(form, headers.get("idempotency-key", ""))
                if fault == "drop":
                    self.close_connection = True
                    return
                if fault == "garbled":  # the status is made, and its answer comes back as no JSON (a proxy's page)
                    return self.send(200, b"<html>502 Bad Gateway</html>", "application/json; charset=utf-8")
                return self._answer(status, body)
            return self._answer(404, {"error": "Record not found"})

        def do_GET(self) -> None:  # noqa: N802
            self._route("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._route("POST")

    return Handler


def _form(content_type: str, raw: bytes) -> dict[str, list[str]]:
    if content_type.startswith("application/json"):
        body = json.loads(raw or b"{}")
        return {k: [str(x) for x in v] if isinstance(v, list) else [str(v)] for k, v in body.items() if v is not None}
    if content_type.startswith("multipart/form-data"):
        return {k: [v.decode()] for k, v in _multipart(content_type, raw).items()}
    return parse_qs(raw.decode(), keep_blank_values=True)
