"""A local Threads Graph API on 127.0.0.1, written from Meta's Threads docs and its sample app fbsamples/threads_api
(src/index.js, postman/threads-api.postman_collection.json); DESIGN.md "Threads" lists what was checked.

- The token may come as `access_token` in the query or the form, or as `Authorization: Bearer`; a wrong one answers
  400 with a Graph error, OAuthException code 190. Errors are always {"error": {"message", "type", "code", ...}}.
- POST /v1.0/{user-id}/threads: `media_type` TEXT or IMAGE (required), `text` (required for TEXT; at most 500
  characters counted here on their own: a code point each, an emoji its UTF-8 bytes), `image_url` (fetched by the
  twin, as Meta does: one it cannot download makes the container ERROR), `reply_to_id` (an existing post), more
  than 5 links refused. Answers {"id"} of a container that stays IN_PROGRESS for `in_progress_polls` status reads.
- GET /v1.0/{container-id}?fields=status,error_message; POST /v1.0/{user-id}/threads_publish?creation_id=: a
  container not FINISHED answers code 24 / subcode 4279009; a published one cannot be published again. Past the
  quota (posts and replies counted apart over 24 h) it answers code 4 and makes nothing.
- GET /v1.0/{user-id}/threads_publishing_limit, /v1.0/{user-id}/threads (posts, newest first), /v1.0/{id}/replies
  (needs `threads_read_replies`: `scopes`), /v1.0/me, and GET /refresh_access_token (th_refresh_token; a token
  younger than 24 hours is refused).
- `hold`: the hold_at-th threads_publish waits (in flight) until the test sets it, then publishes.
- faults: "drop" (on POST .../threads_publish) publishes, then closes the connection without an answer.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

try:  # the twins package (tests/twins/localhttp.py) or, before the move, tests/localhttp.py
    from twins.localhttp import QuietHandler, Served
except ImportError:  # pragma: no cover - depends on the tree
    from localhttp import QuietHandler, Served  # type: ignore[no-redef]

TOKEN = "threads-test-token-0000"
USER_ID = "17841400000000001"
USERNAME = "quietindex"
LIMIT = 500
_EMOJI = ((0x1F000, 0x1FAFF), (0x2600, 0x27BF), (0x2300, 0x23FF), (0x2B00, 0x2BFF), (0x1F1E6, 0x1F1FF),
          (0xFE0F, 0xFE0F), (0x200D, 0x200D), (0xE0020, 0xE007F), (0x20E3, 0x20E3))
_URL = re.compile(r"https?://\S+")


def count(text: str) -> int:
    """The oracle's count, written apart from the bot's: a code point is 1, an emoji's code points their UTF-8 bytes
    (and so the joiners and selectors inside an emoji)."""
    return sum(len(c.encode("utf-8")) if any(lo <= ord(c) <= hi for lo, hi in _EMOJI) else 1 for c in text)


def _graph(message: str, code: int, subcode: int | None = None, kind: str = "OAuthException") -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": "AtwinTrace"}
    if subcode:
        error["error_subcode"] = subcode
    return {"error": error}


@dataclass
class ThreadsTwin(Served):
    """The local server; `with ThreadsTwin() as th:` runs it; its state is inspectable."""

    token: str = TOKEN
    user_id: str = USER_ID
    scopes: set[str] = field(default_factory=lambda: {"threads_basic", "threads_content_publish",
                                                      "threads_manage_replies", "threads_read_replies"})
    quota_total: int = 250
    reply_quota_total: int = 1000
    in_progress_polls: int = 1  # status reads that answer IN_PROGRESS before FINISHED
    token_issued: float = 0.0  # when `token` was issued (epoch s); a refresh needs it 24 h old
    clock: Callable[[], float] = time.time
    containers: dict[str, dict[str, Any]] = field(default_factory=dict)
    posts: list[dict[str, Any]] = field(default_factory=list)  # every published post and reply, in order
    requests: list[tuple[str, str]] = field(default_factory=list)
    faults: dict[str, list[str]] = field(default_factory=dict)
    hold: threading.Event | None = None  # when set up, the `hold_at`-th threads_publish waits on it, then publishes
    hold_at: int = 1
    held: threading.Event = field(default_factory=threading.Event)
    publishes: int = 0

    def __post_init__(self) -> None:
        self.tokens = {self.token}
        self._serve(_handler(self))

    def fault(self, route: str, *kinds: str) -> None:
        """Queue faults ("drop") for the next requests to `route` ("threads_publish")."""
        with self._lock:
            self.faults.setdefault(route, []).extend(kinds)

    def used(self, replies: bool) -> int:
        """Posts (or replies) published in the last 24 hours."""
        return sum(1 for p in self.posts if bool(p["reply_to"]) == replies and p["at"] > self.clock() - 86400)

    def chain(self) -> list[str]:
        """The texts of the first post and its reply chain, in order (the thread as a reader follows it)."""
        roots = [p for p in self.posts if not p["reply_to"]]
        out, cur = [], roots[0] if roots else None
        while cur is not None:
            out.append(cur["text"])
            cur = next((p for p in self.posts if p["reply_to"] == cur["id"]), None)
        return out


def _handler(twin: ThreadsTwin) -> type[QuietHandler]:
    class Handler(QuietHandler):
        def answer(self, status: int, body: Any) -> None:
            self.send(status, json.dumps(body).encode(), "application/json")

        def do_GET(self) -> None:
            self.route("GET", {})

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0)).decode()
            self.route("POST", parse_qs(raw))

        def route(self, method: str, form: dict[str, list[str]]) -> None:
            url = urlsplit(self.path)
            twin.requests.append((method, url.path))
            params = {k: v[-1] for k, v in {**parse_qs(url.query), **form}.items()}
            bearer = self.headers.get("Authorization", "")
            token = params.get("access_token") or (bearer[7:] if bearer.startswith("Bearer ") else "")
            if token not in twin.tokens:
                return self.answer(400, _graph("Invalid OAuth access token - Cannot parse access token", 190))
            if url.path == "/refresh_access_token" and method == "GET":
                return self.refresh(params, token)
            parts = url.path.strip("/").split("/")
            if parts[0] != "v1.0" or len(parts) < 2:
                return self.answer(400, _graph(f"Unknown path components: {url.path}", 2500))
            node, edge = parts[1], (parts[2] if len(parts) > 2 else "")
            if node == "me" and not edge:
                return self.answer(200, {"id": twin.user_id, "username": USERNAME})
            if node in (twin.user_id, "me") and edge:
                return self.user_edge(method, edge, params)
            if edge == "replies" and method == "GET":
                if "threads_read_replies" not in twin.scopes:
                    return self.answer(403, _graph("Application does not have permission for this action", 10))
                return self.answer(200, {"data": [self.shape(p) for p in reversed(twin.posts)
                                                  if p["reply_to"] == node]})
            if not edge and node in twin.containers and method == "GET":
                return self.answer(200, self.status(node))
            return self.answer(400, _graph(f"Unsupported {method} request. Object with ID '{node}' does not exist",
                                           100, 33, "GraphMethodException"))

        def shape(self, post: dict[str, Any]) -> dict[str, Any]:
            return {"id": post["id"], "text": post["text"], "username": USERNAME, "media_type": post["media_type"],
                    "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(post["at"])),
                    "permalink": f"https://www.threads.net/@{USERNAME}/post/{post['id']}"}

        def status(self, cid: str) -> dict[str, Any]:
            c = twin.containers[cid]
            if c["status"] == "IN_PROGRESS":
                c["polls"] += 1
                if c["polls"] > twin.in_progress_polls:
                    c["status"] = "ERROR" if c.get("error") else "FINISHED"
            body = {"id": cid, "status": c["status"]}
            if c["status"] == "ERROR":
                body["error_message"] = c["error"]
            return body

        def user_edge(self, method: str, edge: str, params: dict[str, str]) -> None:
            if edge == "threads" and method == "POST":
                return self.create(params)
            if edge == "threads" and method == "GET":
                limit = int(params.get("limit", "25"))
                return self.answer(200, {"data": [self.shape(p) for p in reversed(twin.posts)
                                                  if not p["reply_to"]][:limit], "paging": {}})
            if edge == "threads_publish" and method == "POST":
                return self.publish(params.get("creation_id", ""))
            if edge == "threads_publishing_limit" and method == "GET":
                return self.answer(200, {"data": [{
                    "quota_usage": twin.used(False),
                    "config": {"quota_total": twin.quota_total, "quota_duration": 86400},
                    "reply_quota_usage": twin.used(True),
                    "reply_config": {"quota_total": twin.reply_quota_total, "quota_duration": 86400}}]})
            return self.answer(400, _graph(f"Unknown edge {edge}", 100))

        def create(self, p: dict[str, str]) -> None:
            kind, text = p.get("media_type"), p.get("text", "")
            if kind not in ("TEXT", "IMAGE"):
                return self.answer(400, _graph("(#100) The parameter media_type is required", 100))
            if kind == "TEXT" and not text:
                return self.answer(400, _graph("(#100) The parameter text is required", 100))
            if count(text) > LIMIT:
                return self.answer(400, _graph(f"(#100) Param text must be at most {LIMIT} characters long.", 100,
                                               2207006))
            if len(_URL.findall(text)) > 5:
                return self.answer(400, _graph("(#100) A post may have at most 5 links", 100, 2207058))
            reply_to = p.get("reply_to_id", "")
            if reply_to and not any(x["id"] == reply_to for x in twin.posts):
                return self.answer(400, _graph(f"(#100) reply_to_id {reply_to} does not exist", 100))
            error = ""
            if kind == "IMAGE":
                if not p.get("image_url"):
                    return self.answer(400, _graph("(#100) The parameter image_url is required", 100))
                try:
                    with urllib.request.urlopen(p["image_url"], timeout=5) as r:  # noqa: S310 - loopback in tests
                        if not r.read(16).startswith((b"\x89PNG", b"\xff\xd8")):
                            error = "FAILED_PROCESSING_IMAGE"
                except OSError:
                    error = "FAILED_DOWNLOADING_IMAGE"
            with twin._lock:
                cid = f"1789{len(twin.containers) + 1:011d}"
                twin.containers[cid] = {"status": "IN_PROGRESS", "polls": 0, "text": text, "media_type": kind,
                                        "reply_to": reply_to, "image_url": p.get("image_url", ""),
                                        "alt_text": p.get("alt_text", ""), "error": error}
            return self.answer(200, {"id": cid})

        def publish(self, cid: str) -> None:
            twin.publishes += 1
            if twin.hold is not None and twin.publishes == twin.hold_at:
                twin.held.set()  # in flight: the test kills the bot now, then lets the request land
                twin.hold.wait(30)
            c = twin.containers.get(cid)
            if c is None:
                return self.answer(400, _graph(f"(#100) creation_id {cid} does not exist", 100))
            if c["status"] == "IN_PROGRESS":
                self.status(cid)
            if c["status"] != "FINISHED":  # IN_PROGRESS, PUBLISHED, ERROR
                return self.answer(400, _graph("The media is not ready for publishing, please wait for a moment",
                                               24, 4279009))
            reply = bool(c["reply_to"])
            if twin.used(reply) >= (twin.reply_quota_total if reply else twin.quota_total):
                return self.answer(400, _graph("Application request limit reached", 4))
            with twin._lock:
                post = {"id": f"1800{len(twin.posts) + 1:011d}", "text": c["text"], "reply_to": c["reply_to"],
                        "media_type": c["media_type"], "image_url": c["image_url"], "alt_text": c["alt_text"],
                        "at": twin.clock()}
                twin.posts.append(post)
                c["status"] = "PUBLISHED"
                queue = twin.faults.get("threads_publish") or []
                fault = queue.pop(0) if queue else ""
            if fault == "drop":  # published, but the answer never comes
                self.close_connection = True
                self.connection.shutdown(2)
                return None
            return self.answer(200, {"id": post["id"]})

        def refresh(self, params: dict[str, str], token: str) -> None:
            if params.get("grant_type") != "th_refresh_token":
                return self.answer(400, _graph("grant_type must be th_refresh_token", 100))
            if twin.clock() - twin.token_issued < 86400:
                return self.answer(400, _graph("The access token is not old enough to be refreshed (24 hours)", 190,
                                               460))
            new = f"{twin.token}-r{len(twin.tokens)}"
            twin.tokens.add(new)
            return self.answer(200, {"access_token": new, "token_type": "bearer", "expires_in": 5_184_000})

    return Handler
