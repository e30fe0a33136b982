"""A local X API v2 on 127.0.0.1 for tests: real HTTP, OAuth 1.0a signatures checked with oauthlib, scriptable faults.

    with XServer(clock=fake.time) as x:
        x.fault("POST /2/tweets", "created_drop")      # the post is made, the answer never arrives
        ... XClient against x.url ...
        assert [p["text"] for p in x.posts] == [...]

Routes: POST /2/tweets, POST /2/media/upload (one shot, multipart), POST /2/media/metadata, GET /2/users/me,
GET /2/users/:id/tweets. What X does that matters to the bot: weighted length over 280 refused (counted by an
independent twitter-text, helpers/twitter_text.py, never by bot.tweets); duplicate text
refused with X's 403 problem body; replies/quotes/media must reference what exists; the timeline shows X's copy
of a post (URLs as t.co links, & < > escaped, a t.co link appended for media); x-rate-limit-* headers on every
answer. Fault kinds, queued per route and used one per request: "ok" (no fault, to skip a request), "429"
(with reset_in), "500", "503", "drop" (socket closed, no answer), "slow" (answer after `delay`), "reply403", "403",
"created_drop" (the request takes effect, then the socket closes with no answer). `filter_duplicates = False` makes
an X that posts a repeated text again (the bot must never rely on X refusing it); `arrived` counts requests per
route as they come in, before any fault or answer. `visible_after = N` shows a post in the user timeline only N
seconds (of the server's clock) after it was created, as X's timeline may lag behind a post it has made.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from helpers.twitter_text import too_long
from helpers.x_shapes import (
    DUPLICATE,
    FORBIDDEN,
    REPLY_LIMITED,
    TOO_LONG,
    Validator,
    invalid,
    problem,
    sniff,
    x_copy,
    x_copy_with_entities,
)
from oauthlib.oauth1 import ResourceEndpoint

CREDENTIALS = {"X_API_KEY": "test-consumer-key-0001", "X_API_SECRET": "test-consumer-secret-0001",
               "X_ACCESS_TOKEN": "1000-test-access-token", "X_ACCESS_TOKEN_SECRET": "test-token-secret-0001"}
USER = {"id": "1000", "name": "Quiet Index", "username": "quietindex"}
WINDOW = 900  # seconds of one rate-limit window
LIMITS = {"POST /2/tweets": 100, "POST /2/media/upload": 500, "POST /2/media/metadata": 500,
          "GET /2/users/me": 75, "GET /2/users/:id/tweets": 900}
MAX_DELAY = 5.0


class XServer:
    """The local X API; a context manager. State (posts, media, requests) is inspectable; optionally persisted."""

    def __init__(self, clock: Callable[[], float] = time.time, state_file: Path | None = None,
                 keys: dict[str, str] | None = None) -> None:
        self.clock = clock
        self.keys = dict(keys or CREDENTIALS)
        self.state_file = state_file
        self.lock = threading.RLock()
        self.faults: dict[str, list[dict[str, Any]]] = {}
        self.forbid_replies = False
        self.filter_duplicates = True  # X's 403 on a repeated text; False: the text is posted again
        self.arrived: dict[str, int] = {}  # requests per route, counted as they arrive
        self.visible_after = 0.0  # seconds after its creation before a post shows in the user timeline
        self.requests: list[tuple[str, int | str]] = []  # (route, status or "dropped")
        self.posts: list[dict[str, Any]] = []
        self.media: dict[str, dict[str, Any]] = {}
        self.next_id = 1_900_000_000_000_000_000
        self.calls: dict[str, list[float]] = {}
        self.endpoint = ResourceEndpoint(Validator(self))
        self.stopping = threading.Event()
        if state_file and state_file.exists():
            saved = json.loads(state_file.read_text())
            self.posts, self.media, self.next_id = saved["posts"], saved["media"], saved["next_id"]
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # lifecycle
    def __enter__(self) -> XServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    @property
    def url(self) -> str:
        """The base URL to use as X_API_BASE_URL."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    # scripting and inspection
    def fault(self, route: str, kind: str, *, reset_in: float = 60, delay: float = 1.5) -> None:
        """Queue one fault for the next request to `route` ("POST /2/tweets", "GET /2/users/:id/tweets", ...)."""
        with self.lock:
            self.faults.setdefault(route, []).append({"kind": kind, "reset_in": reset_in, "delay": delay})

    def shown_text(self, post: dict[str, Any]) -> str:
        """A post's text as X answers it (see x_copy)."""
        return x_copy(post["text"], post["id"] if post.get("media_ids") else "")

    def hits(self, route: str) -> int:
        """Requests received on `route`, faults and drops included."""
        return sum(1 for r, _ in self.requests if r == route)

    def save(self) -> None:
        """Persist posts and media to state_file (when set), so a restarted server sees the same account."""
        if self.state_file:
            tmp = self.state_file.with_suffix(".tmp")
            tmp.write_text(json.dumps({"posts": self.posts, "media": self.media, "next_id": self.next_id}))
            tmp.replace(self.state_file)

    def new_id(self) -> str:
        """A fresh snowflake-like id."""
        self.next_id += 1
        return str(self.next_id)

    def limit_headers(self, route: str) -> dict[str, str]:
        """x-rate-limit-limit/remaining/reset for this route's 15-minute window (this request counted)."""
        now = self.clock()
        calls = [t for t in self.calls.get(route, []) if t > now - WINDOW] + [now]
        self.calls[route] = calls
        limit = LIMITS.get(route, 100)
        return {"x-rate-limit-limit": str(limit), "x-rate-limit-remaining": str(max(0, limit - len(calls))),
                "x-rate-limit-reset": str(int(calls[0] + WINDOW))}

    # the routes: each returns (status, body)
    def create(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST /2/tweets."""
        text = body.get("text")
        media_ids = (body.get("media") or {}).get("media_ids") or []
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        quote_of = body.get("quote_tweet_id")
        if "made_with_ai" in body and not isinstance(body["made_with_ai"], bool):
            return 400, invalid("made_with_ai must be a boolean", "made_with_ai", body["made_with_ai"])
        if not isinstance(text, str) and not media_ids:
            return 400, invalid("Text or media is required", "text", None)
        text = text or ""
        if too_long(text):  # counted by twitter-text itself (helpers/twitter_text.py), never by the bot's code
            return 400, invalid(TOO_LONG, "text", text)
        known = {p["id"] for p in self.posts}
        if reply_to and reply_to not in known:
            return 400, invalid(f"The `reply.in_reply_to_tweet_id` query parameter value [{reply_to}] does not "
                                "exist", "reply.in_reply_to_tweet_id", reply_to)
        if quote_of and quote_of not in known:
            return 400, invalid(f"The `quote_tweet_id` value [{quote_of}] does not exist", "quote_tweet_id", quote_of)
        for media_id in media_ids:
            if media_id not in self.media:
                return 400, invalid(f"Your media IDs are invalid: [{media_id}]", "media.media_ids", media_id)
        if reply_to and self.forbid_replies:
            return 403, problem(403, "Forbidden", REPLY_LIMITED)
        if text and self.filter_duplicates and any(p["text"] == text for p in self.posts):
            return 403, problem(403, "Forbidden", DUPLICATE)
        post = {"id": self.new_id(), "text": text, "author_id": USER["id"], "created": self.clock(),
                "reply_to": reply_to, "quote_of": quote_of, "media_ids": list(media_ids),
                "made_with_ai": body.get("made_with_ai") is True}
        self.posts.append(post)
        self.save()
        return 201, {"data": {"id": post["id"], "text": self.shown_text(post),
                              "edit_history_tweet_ids": [post["id"]]}}

    def upload(self, content_type: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        """POST /2/media/upload, one shot: multipart `media` and `media_category`."""
        if not content_type.startswith("multipart/form-data"):
            return 400, invalid("media must be sent as multipart/form-data", "media", None)
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
        fields = {part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
                  for part in message.iter_parts()}
        data, category = fields.get("media"), (fields.get("media_category") or b"").decode()
        if not data:
            return 400, invalid("The `media` field is required", "media", None)
        if category != "tweet_image":
            return 400, invalid(f"media_category {category!r} is not allowed here", "media_category", category)
        mime = sniff(data)
        if not mime or len(data) > 5 * 1024 * 1024:
            return 400, invalid("Media type unrecognized or file too large", "media", len(data))
        media_id = self.new_id()
        self.media[media_id] = {"mime": mime, "size": len(data), "alt_text": "",
                                "sha1": hashlib.sha1(data).hexdigest()}
        self.save()
        return 200, {"data": {"id": media_id, "media_key": f"3_{media_id}", "size": len(data),
                              "expires_after_secs": 86400, "image": {"image_type": mime}}}

    def metadata(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST /2/media/metadata {"id", "metadata": {"alt_text": {"text"}}}."""
        media_id = str(body.get("id", ""))
        alt = ((body.get("metadata") or {}).get("alt_text") or {}).get("text")
        if media_id not in self.media:
            return 400, invalid(f"media id [{media_id}] not found", "id", media_id)
        if not isinstance(alt, str) or len(alt) > 1000:
            return 400, invalid("alt_text.text must be a string of at most 1000 characters", "metadata", None)
        self.media[media_id]["alt_text"] = alt
        self.save()
        return 200, {"data": {"id": media_id, "associated_metadata": {"alt_text": {"text": alt}}}}

    def timeline(self, user_id: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        """GET /2/users/:id/tweets: newest first, start_time, max_results 5..100, pagination_token, tweet.fields."""
        if user_id != USER["id"]:
            return 200, {"meta": {"result_count": 0}}
        count = int(query.get("max_results", ["10"])[0])
        if not 5 <= count <= 100:
            return 400, invalid("max_results must be between 5 and 100", "max_results", count)
        since = query.get("start_time", [""])[0]
        start = datetime.strptime(since, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp() if since else 0
        fields = set(",".join(query.get("tweet.fields", [""])).split(","))
        shown_by = self.clock() - self.visible_after  # landed by now, and (visible_after) shown by now
        posts = [p for p in reversed(self.posts) if start <= p["created"] <= shown_by]
        offset = int(query.get("pagination_token", ["0"])[0])
        page = posts[offset:offset + count]
        data = [self.shown(p, fields) for p in page]
        meta: dict[str, Any] = {"result_count": len(data)}
        if data:
            meta.update(newest_id=data[0]["id"], oldest_id=data[-1]["id"])
        if offset + count < len(posts):
            meta["next_token"] = str(offset + count)
        return 200, ({"data": data, "meta": meta} if data else {"meta": meta})

    def shown(self, post: dict[str, Any], fields: set[str]) -> dict[str, Any]:
        """One post as the timeline answers it, with the requested tweet.fields."""
        text, urls = x_copy_with_entities(post["text"], post["id"] if post.get("media_ids") else "")
        out: dict[str, Any] = {"id": post["id"], "text": text, "edit_history_tweet_ids": [post["id"]]}
        if "entities" in fields and urls:
            out["entities"] = {"urls": urls}
        if "created_at" in fields:
            out["created_at"] = datetime.fromtimestamp(post["created"], UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        refs = [{"type": "replied_to", "id": post["reply_to"]}] if post.get("reply_to") else []
        refs += [{"type": "quoted", "id": post["quote_of"]}] if post.get("quote_of") else []
        if "referenced_tweets" in fields and refs:
            out["referenced_tweets"] = refs
        if "attachments" in fields and post.get("media_ids"):
            out["attachments"] = {"media_keys": [f"3_{m}" for m in post["media_ids"]]}
        return out


def _route(method: str, path: str) -> tuple[str, str]:
    """("POST /2/tweets", "") or ("GET /2/users/:id/tweets", the id)."""
    m = re.fullmatch(r"/2/users/([^/]+)/tweets", path)
    if m and m.group(1) != "me":
        return f"{method} /2/users/:id/tweets", m.group(1)
    return f"{method} {path}", ""


def _handler(x: XServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

        def do_GET(self) -> None:
            self.handle_any("GET")

        def do_POST(self) -> None:
            self.handle_any("POST")

        def handle_any(self, method: str) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = urlsplit(self.path)
            route, user_id = _route(method, parts.path)
            with x.lock:
                x.arrived[route] = x.arrived.get(route, 0) + 1
                queue = x.faults.get(route)
                fault = queue.pop(0) if queue else {"kind": "ok"}
            kind = fault["kind"]
            if kind == "drop":
                return self.drop(method, route)
            if kind == "slow":
                x.stopping.wait(min(fault["delay"], MAX_DELAY))
            if not self.signed(raw):
                return self.answer(method, route, 401, {"title": "Unauthorized", "type": "about:blank",
                                                        "status": 401, "detail": "Unauthorized"})
            if kind == "429":
                reset = int(x.clock() + fault["reset_in"])
                return self.answer(method, route, 429, problem(429, "Too Many Requests", "Too Many Requests"),
                                   {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)})
            if kind in ("500", "503"):
                return self.answer(method, route, int(kind), problem(int(kind), "Service Unavailable",
                                                                     "Service Unavailable"))
            if kind == "reply403":
                return self.answer(method, route, 403, problem(403, "Forbidden", REPLY_LIMITED))
            if kind.startswith("echo400:"):  # the OAuth key and token many times, shaped (helpers/echo.py)
                from helpers.echo import echo

                auth = dict(re.findall(r'(oauth_consumer_key|oauth_token)="([^"]*)"', self.headers.get("Authorization", "")))
                said = echo(f"key={auth.get('oauth_consumer_key', '')} token={auth.get('oauth_token', '')}",
                            kind[len("echo400:"):], times=6)
                return self.answer(method, route, 400, problem(400, "Invalid Request", said))
            if kind == "echo400":  # a proxy that repeats the request in its error: the OAuth header is in it
                said = "; ".join(f"{k}: {v}" for k, v in self.headers.items() if k.lower() == "authorization")
                return self.answer(method, route, 400, problem(400, "Invalid Request", f"bad request ({said})"))
            if kind == "403":  # e.g. an app without write permission
                return self.answer(method, route, 403, problem(403, "Forbidden", FORBIDDEN))
            with x.lock:
                status, body = self.route(route, user_id, raw, parse_qs(parts.query))
            if kind == "created_drop":
                return self.drop(method, route)
            self.answer(method, route, status, body)

        def route(self, route: str, user_id: str, raw: bytes, query: dict[str, list[str]]) -> tuple[int, Any]:
            if route == "POST /2/tweets":
                return x.create(json.loads(raw or b"{}"))
            if route == "POST /2/media/upload":
                return x.upload(self.headers.get("Content-Type", ""), raw)
            if route == "POST /2/media/metadata":
                return x.metadata(json.loads(raw or b"{}"))
            if route == "GET /2/users/me":
                return 200, {"data": dict(USER)}
            if route == "GET /2/users/:id/tweets":
                return x.timeline(user_id, query)
            return 404, problem(404, "Not Found", f"no route {route}")

        def signed(self, raw: bytes) -> bool:
            """OAuth 1.0a check; form bodies are part of the signature, JSON and multipart bodies are not."""
            uri = f"http://{self.headers.get('Host', '')}{self.path}"
            ctype = self.headers.get("Content-Type", "")
            body = raw.decode("latin-1") if "application/x-www-form-urlencoded" in ctype else ""
            valid, _ = x.endpoint.validate_protected_resource_request(uri, self.command, body, dict(self.headers))
            return bool(valid)

        def answer(self, method: str, route: str, status: int, body: Any, extra: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            with x.lock:
                x.requests.append((route, status))
                headers = {**x.limit_headers(route), **(extra or {})}
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client gave up (timeout) before a slow answer came
                pass

        def drop(self, method: str, route: str) -> None:
            with x.lock:
                x.requests.append((route, "dropped"))
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    return Handler
