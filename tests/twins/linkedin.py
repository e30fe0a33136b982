"""A local LinkedIn REST API on 127.0.0.1, written from Microsoft's LinkedIn API docs (no LinkedIn server exists to
install): the routes the bot uses, strict about what the real one refuses.

learn.microsoft.com/linkedin/marketing/community-management/shares/posts-api, images-api, comments-api,
little-text-format; DESIGN.md "LinkedIn" lists what was checked.
- Every /rest/ route needs `Authorization: Bearer TOKEN` (401, serviceErrorCode 65600), `LinkedIn-Version: YYYYMM`
  (missing: 400; not an active month: 426) and `X-Restli-Protocol-Version: 2.0.0` (400 otherwise).
- POST /rest/posts: `author` (this member, else 403), `commentary`, `visibility`, `distribution`, `lifecycleState`
  (a missing field: 422); commentary over 3,000 characters (counted here in UTF-16 units): 400; `content.media.id`
  must be an uploaded `urn:li:image:`. 201 with `x-restli-id` and no body. The post shows its commentary as little
  text reads: escapes undone, and CUT at the first unescaped reserved character, as LinkedIn silently does.
- POST /rest/images?action=initializeUpload → {"value": {"uploadUrl", "image", "uploadUrlExpiresAt"}}; PUT the bytes.
- POST/GET /rest/socialActions/{urn}/comments; GET /rest/posts?q=author&author=URN (newest first). Both reads need
  `r_member_social` (403 without it: `scopes` decides). GET /v2/userinfo answers the member.
- `hold`: the hold_at-th post waits (in flight) until the test sets it, then is made.
- 429 (no rate-limit headers) after `daily_posts` posts; faults: "drop" makes the post then closes the connection
  with no answer, "500" answers 500 without making it.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

try:  # the twins package (tests/twins/localhttp.py) or, before the move, tests/localhttp.py
    from twins.localhttp import QuietHandler, Served
except ImportError:  # pragma: no cover - depends on the tree
    from localhttp import QuietHandler, Served  # type: ignore[no-redef]

TOKEN = "linkedin-test-token-0000"
AUTHOR = "urn:li:person:8675309"
ACTIVE = ("202412", "202601", "202606", "202511")  # the versions this twin serves; others answer 426
LIMIT = 3000
RESERVED = set("\\|{}@[]()<>#*_~")
REQUIRED = ("author", "commentary", "visibility", "distribution", "lifecycleState")


def utf16(text: str) -> int:
    """The oracle's count: UTF-16 code units, written apart from the bot's (a code point above U+FFFF is two)."""
    return sum(2 if ord(c) > 0xFFFF else 1 for c in text)


def shown(commentary: str) -> str:
    """What LinkedIn shows for a little-text commentary: escapes undone, and nothing after an unescaped reserved
    character (the silent cut)."""
    out, i = [], 0
    while i < len(commentary):
        c = commentary[i]
        if c == "\\" and i + 1 < len(commentary):
            out.append(commentary[i + 1])
            i += 2
            continue
        if c in RESERVED:
            break
        out.append(c)
        i += 1
    return "".join(out)


@dataclass
class LinkedInTwin(Served):
    """The local server; `with LinkedInTwin() as li:` runs it; its state is inspectable."""

    token: str = TOKEN
    author: str = AUTHOR
    scopes: set[str] = field(default_factory=lambda: {"w_member_social", "r_member_social", "openid"})
    clock: Callable[[], float] = time.time  # when posts are made (createdAt) and the 24-hour window
    daily_posts: int = 150  # posts a member may make in a day; the next is 429
    posts: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    images: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    faults: dict[str, list[str]] = field(default_factory=dict)  # "POST /rest/posts": ["drop", "500", ...]
    hold: threading.Event | None = None  # when set up, the `hold_at`-th POST /rest/posts waits on it, then makes it
    hold_at: int = 1
    held: threading.Event = field(default_factory=threading.Event)
    _creates: int = 0

    def __post_init__(self) -> None:
        self._serve(_handler(self))

    def shown_posts(self) -> list[str]:
        """The posts as a reader sees them (little text read, cut where the real one cuts)."""
        return [shown(p["commentary"]) for p in self.posts]

    def fault(self, route: str, *kinds: str) -> None:
        """Queue faults for the next requests to `route` ("POST /rest/posts"), one each."""
        with self._lock:
            self.faults.setdefault(route, []).extend(kinds)

    def _next_fault(self, route: str) -> str:
        with self._lock:
            queue = self.faults.get(route) or []
            return queue.pop(0) if queue else ""


def _error(status: int, message: str, code: int | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": status, "message": message, **(extra or {})}
    if code is not None:
        body["serviceErrorCode"] = code
    return body


def _handler(twin: LinkedInTwin) -> type[QuietHandler]:
    class Handler(QuietHandler):
        def answer(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send(status, data, "application/json", headers)

        def do_GET(self) -> None:
            self.route("GET")

        def do_POST(self) -> None:
            self.route("POST")

        def do_PUT(self) -> None:
            self.route("PUT")

        def route(self, method: str) -> None:
            url = urlsplit(self.path)
            path, query = url.path, parse_qs(url.query)
            twin.requests.append((method, self.path))
            headers = self.header_map()
            if headers.get("authorization") != f"Bearer {twin.token}":
                self.body()
                return self.answer(401, _error(401, "Invalid access token", 65600, {"code": "INVALID_ACCESS_TOKEN"}))
            if path == "/v2/userinfo" and method == "GET":
                return self.answer(200, {"sub": twin.author.rsplit(":", 1)[-1], "name": "Quiet Index"})
            if path.startswith("/dms-uploads/") and method == "PUT":
                return self.upload(path.rsplit("/", 1)[-1])
            if not path.startswith("/rest/"):
                return self.answer(404, _error(404, f"No resource found at {path}"))
            version = headers.get("linkedin-version")
            if version is None:
                self.body()
                return self.answer(400, _error(400, "A required header LinkedIn-Version is missing"))
            if version not in ACTIVE:
                self.body()
                return self.answer(426, _error(426, f"Requested version {version} is not active", None,
                                               {"code": "NONEXISTENT_VERSION"}))
            if headers.get("x-restli-protocol-version") != "2.0.0":
                self.body()
                return self.answer(400, _error(400, "This endpoint requires X-Restli-Protocol-Version 2.0.0"))
            fault = twin._next_fault(f"{method} {path}")
            if fault == "500":
                self.body()
                return self.answer(500, _error(500, "Internal Server Error"))
            if path == "/rest/posts" and method == "POST":
                return self.create(fault)
            if path == "/rest/posts" and method == "GET":
                return self.read_posts(query)
            if path == "/rest/images" and method == "POST" and query.get("action") == ["initializeUpload"]:
                return self.initialize()
            m = re.fullmatch(r"/rest/socialActions/([^/]+)/comments", path)
            if m and method == "POST":
                return self.comment(unquote(m.group(1)), fault)
            if m and method == "GET":
                return self.read_comments(unquote(m.group(1)))
            return self.answer(404, _error(404, f"No resource found at {path}"))

        def body(self) -> Any:
            return self.read_json()

        def create(self, fault: str) -> None:
            body = self.body()
            twin._creates += 1
            if twin.hold is not None and twin._creates == twin.hold_at:
                twin.held.set()  # in flight: the test kills the bot now, then lets the request land
                twin.hold.wait(30)
            if not isinstance(body, dict):
                return self.answer(400, _error(400, "Request body is not JSON"))
            missing = [f for f in REQUIRED if f not in body]
            if missing:
                return self.answer(422, _error(422, f"Missing required field(s): {', '.join(missing)}", 100,
                                               {"code": "MISSING_FIELD"}))
            if body["author"] != twin.author:
                return self.answer(403, _error(403, f"Not enough permissions to post as {body['author']}", 100))
            if "w_member_social" not in twin.scopes:
                return self.answer(403, _error(403, "Not enough permissions to access: posts.CREATE", 100))
            text = body["commentary"]
            if not isinstance(text, str) or utf16(text) > LIMIT:
                return self.answer(400, _error(400, f"/commentary :: length {utf16(str(text))} exceeds {LIMIT}", 100,
                                               {"code": "INVALID_FIELD"}))
            media = ((body.get("content") or {}).get("media") or {})
            if media and (media.get("id") not in twin.images or not twin.images[media["id"]].get("bytes")):
                return self.answer(400, _error(400, f"/content/media/id :: {media.get('id')} is not an uploaded image"))
            today = [p for p in twin.posts if p["createdAt"] > (twin.clock() - 86400) * 1000]
            if len(today) >= twin.daily_posts:
                return self.answer(429, _error(429, "Resource level throttle MEMBER DAY limit for calls to this "
                                                    "resource is reached."))
            with twin._lock:
                urn = f"urn:li:share:{7_300_000_000_000_000_000 + len(twin.posts) + 1}"
                twin.posts.insert(0, {"id": urn, "author": twin.author, "commentary": text,
                                      "visibility": body["visibility"], "lifecycleState": body["lifecycleState"],
                                      "content": body.get("content"), "createdAt": int(twin.clock() * 1000)})
            if fault == "drop":  # made, but the answer never comes
                self.close_connection = True
                self.connection.shutdown(2)
                return None
            return self.answer(201, None, {"x-restli-id": urn})

        def read_posts(self, query: dict[str, list[str]]) -> None:
            if "r_member_social" not in twin.scopes:
                return self.answer(403, _error(403, "Not enough permissions to access: partnerApiPostsExternal."
                                                    "FINDER-author", 100, {"code": "ACCESS_DENIED"}))
            if query.get("q") != ["author"] or query.get("author") != [twin.author]:
                return self.answer(400, _error(400, "q=author and this author are required"))
            count = int((query.get("count") or ["10"])[0])
            return self.answer(200, {"elements": twin.posts[:count], "paging": {"start": 0, "count": count}})

        def initialize(self) -> None:
            body = self.body()
            owner = ((body or {}).get("initializeUploadRequest") or {}).get("owner") if isinstance(body, dict) else None
            if owner != twin.author:
                return self.answer(422 if owner is None else 403, _error(422 if owner is None else 403,
                                                                         f"initializeUploadRequest.owner {owner!r}"))
            with twin._lock:
                n = len(twin.images) + 1
                urn = f"urn:li:image:D4E10AQ{n:06d}"
                twin.images[urn] = {"n": n, "bytes": b""}
            host, port = self.server.server_address[:2]
            return self.answer(200, {"value": {"uploadUrlExpiresAt": int(time.time() * 1000) + 86_400_000,
                                               "uploadUrl": f"http://{host}:{port}/dms-uploads/{n}", "image": urn}})

        def upload(self, n: str) -> None:
            data = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
            image = next((i for i in twin.images.values() if str(i["n"]) == n), None)
            if image is None or not data:
                return self.answer(400, _error(400, "upload refused"))
            image["bytes"] = data
            return self.answer(201, None)

        def comment(self, post: str, fault: str) -> None:
            body = self.body()
            if not isinstance(body, dict) or not body.get("actor") or not (body.get("message") or {}).get("text"):
                return self.answer(422, _error(422, "actor, object and message.text are required"))
            if not any(p["id"] == post for p in twin.posts) or body.get("object") != post:
                return self.answer(404, _error(404, f"{post} not found"))
            with twin._lock:
                urn = f"urn:li:comment:({post},{len(twin.comments) + 1})"
                twin.comments.append({"$URN": urn, "actor": body["actor"], "object": post,
                                      "message": {"text": body["message"]["text"]}})
            if fault == "drop":
                self.close_connection = True
                self.connection.shutdown(2)
                return None
            return self.answer(201, twin.comments[-1], {"x-restli-id": urn})

        def read_comments(self, post: str) -> None:
            if "r_member_social" not in twin.scopes:
                return self.answer(403, _error(403, "Not enough permissions to access: socialActions.comments.GET",
                                               100, {"code": "ACCESS_DENIED"}))
            return self.answer(200, {"elements": [c for c in twin.comments if c["object"] == post]})

    return Handler


__all__ = ["AUTHOR", "LIMIT", "LinkedInTwin", "TOKEN", "shown", "utf16"]
