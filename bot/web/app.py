"""The review page's routes: sign in, the queue, a draft's page (edit, approve, reject), history.

Every page needs a signed-in session; every form POST carries the session's CSRF token. Templates autoescape,
so nothing from an article or a model is ever live markup. Handlers are plain functions: Starlette runs them in
its thread pool, where publishing (which blocks on X) belongs.
"""

from __future__ import annotations

import logging
import time
from importlib.resources import files
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.core.clock import Clock
from bot.core.errors import BotError
from bot.core.records import PRIMARY
from bot.core.settings import Settings
from bot.networks import media as shares
from bot.networks import registry
from bot.networks.base import Budget
from bot.output.preview import preview_css, safe_href, thread_items
from bot.run import review, service
from bot.run.publishing import ClaimHeld
from bot.state import ledger, policy
from bot.state.drafts import DraftNotFound, ReviewDraft, iso
from bot.state.sessions import Sessions
from bot.state.store import Store
from bot.tweets.length import sanitize
from bot.web import security
from bot.web.gate import Gate
from bot.web.lengthdata import length_data_js
from bot.web.ops import Ops, api_poll, healthz, metrics, wrong_token

log = logging.getLogger(__name__)
_TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("bot.web", "templates"), autoescape=True,
                                undefined=jinja2.StrictUndefined)


def _page(request: Request, name: str, status: int = 200, **context: object) -> Response:
    signed_in = getattr(request.state, "signed_in", False)  # set by Review._gate once the store confirmed it
    html = _TEMPLATES.get_template(name).render(csrf=security.csrf_token(request), signed_in=signed_in, **context)
    return Response(html, status_code=status, media_type="text/html; charset=utf-8",
                    headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                             "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                                                        "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
                             "Referrer-Policy": "same-origin", "X-Content-Type-Options": "nosniff"})


class Review:
    """The page's state: settings, the store, the clock."""

    def __init__(self, settings: Settings, store: Store, clock: Clock, ops: Ops) -> None:
        self.settings, self.store, self.clock, self.ops = settings, store, clock, ops
        self.sessions = Sessions(store)

    # guards
    def _gate(self, request: Request) -> Response | None:
        if not security.signed_in(request, self.sessions, self.clock.time()):
            return RedirectResponse("/login", 303)
        request.state.signed_in = True
        return None

    async def _form(self, request: Request) -> tuple[FormData, Response | None]:
        form = await request.form()
        if not security.csrf_ok(request, form):
            return form, PlainTextResponse("the form's CSRF token is missing or wrong: reload the page and try again", 403)
        return form, None

    # sign in
    def login_page(self, request: Request) -> Response:
        """GET /login."""
        return _page(request, "login.html", error="", tokenless=not security.web_token(self.settings))

    async def login(self, request: Request) -> Response:
        """POST /login: the token is the password; a wrong one gets no session."""
        form, refused = await self._form(request)
        if refused:
            return refused
        address = request.client.host if request.client else None
        wait = self.ops.throttle.retry_after(address)
        if wait:  # not even checked: a guesser learns nothing from a throttled try
            refused = _page(request, "login.html", 429, tokenless=not security.web_token(self.settings),
                            error=f"Too many wrong tokens from your address: try again in {wait} seconds.")
            refused.headers["Retry-After"] = str(wait)
            return refused
        if not security.token_ok(self.settings, str(form.get("token", ""))):
            wrong_token(self.ops, request)
            return _page(request, "login.html", 401, error="That is not the token. Try again.",
                         tokenless=not security.web_token(self.settings))
        await run_in_threadpool(security.sign_in, request, self.sessions, self.clock.time())
        return RedirectResponse("/", 303)

    async def logout(self, request: Request) -> Response:
        """POST /logout."""
        form, refused = await self._form(request)
        if refused:
            return refused
        await run_in_threadpool(security.sign_out, request, self.sessions)
        return RedirectResponse("/login", 303)

    # pages
    def index(self, request: Request) -> Response:
        """GET /: the drafts waiting, each linking to its page."""
        gate = self._gate(request)
        if gate:
            return gate
        publication = request.query_params.get("publication", "")
        known = [p.name for p in self.settings.publications]
        if publication and publication not in known:
            return PlainTextResponse(f"no publication named {publication!r}; known: {', '.join(known)}\n", 404)
        feeds = set(self.settings.of_publication(publication).feed.urls) if publication else None
        rows = [{"id": d.id, "title": d.entry.title or d.entry_key, "state": d.state,
                 "created": (iso(d.created_at) or "")[:16].replace("T", " "),
                 "publish_at": iso(d.publish_at)} for d in service.drafts(self.store, feeds=feeds)]
        return _page(request, "index.html", drafts=rows, mode=self.settings.review.mode)

    def _draft_view(self, request: Request, draft: ReviewDraft, status: int = 200, *,
                    texts: dict[str, str] | None = None, errors: dict[str, str] | None = None, alt: str | None = None,
                    alt_error: str = "", message: str = "") -> Response:
        thread = review.draft_thread(draft)
        published = []
        threads = []
        for network in draft.saved.names():
            done = ledger.posted(self.store, draft.feed, draft.entry_key, network)
            published += [{"position": p, "tweet_id": t.tweet_id, "network": review.network_name(network),
                           "url": post_link({"network": network, "id": t.tweet_id, "url": t.ref})[1]}
                          for p, t in sorted(done.items())]
            counter = review.network_counter(draft, network)
            posts = [{"n": n, "field": field_name(network, n), "key": field_name(network, n).removeprefix("tweet-"),
                      "label": review.label(network, n).capitalize(),
                      "text": (texts or {}).get(field_name(network, n), t.text), "length": t.weighted_length,
                      "error": (errors or {}).get(field_name(network, n), ""), "evidence": list(t.evidence)}
                     for n, t in enumerate(review.tweets_of(draft, network), 1)]
            # One long post (LinkedIn's 3,000) gets a taller box than a thread's short ones.
            threads.append({"network": network, "name": review.network_name(network), "posts": posts,
                            "limit": counter.limit, "url_weight": counter.url_weight,
                            "rows": max(6, min(20, counter.limit // 150))})
        image = f"/drafts/{draft.id}/image" if thread.image.path and thread.image.path.is_file() else None
        return _page(request, "draft.html", status, draft=draft, title=thread.article.entry.title,
                     link=safe_href(thread.article.entry.link), threads=threads,
                     alt=thread.image.alt_text if alt is None else alt,
                     alt_error=alt_error, published=published, message=message, css=preview_css(),
                     drawn=thread_items(thread, None, image_src=image, names=registry.display_names()), editable=draft.state == "draft",
                     publish_at=iso(draft.publish_at))

    def _draft(self, request: Request) -> ReviewDraft | None:
        """The draft the path names, or None when no draft has that id (or it is no possible id: -1, 1e3, 10**30)."""
        text = str(request.path_params["id"])
        if not (text.isascii() and text.isdigit() and len(text) <= 19) or not 0 < int(text) < 2**63:
            return None  # a database integer is at most 2**63 - 1; SQLite overflows on more
        try:
            return service.find_draft(self.store, int(text))
        except DraftNotFound:
            return None

    def draft_page(self, request: Request) -> Response:
        """GET /drafts/{id}."""
        gate = self._gate(request)
        if gate:
            return gate
        draft = self._draft(request)
        if draft is None:
            return PlainTextResponse("no such draft", 404)
        return self._draft_view(request, draft)

    def image(self, request: Request) -> Response:
        """GET /drafts/{id}/image: the draft's image file."""
        gate = self._gate(request)
        if gate:
            return gate
        draft = self._draft(request)
        if draft is None:
            return PlainTextResponse("no such draft", 404)
        thread = review.draft_thread(draft)
        if not thread.image.path or not thread.image.path.is_file():
            return PlainTextResponse("no image", 404)
        return FileResponse(thread.image.path, media_type=thread.image.mime or "image/jpeg")

    async def act(self, request: Request) -> Response:
        """POST /drafts/{id}: Save, Approve or Reject (the button pressed is `action`)."""
        gate = await run_in_threadpool(self._gate, request)  # it reads the store: not on the event loop
        if gate:
            return gate
        form, refused = await self._form(request)
        if refused:
            return refused
        return await run_in_threadpool(self._act, request, form)

    def _act(self, request: Request, form: FormData) -> Response:
        draft = self._draft(request)
        if draft is None:
            return PlainTextResponse("no such draft", 404)
        action, who = str(form.get("action", "")), security.client(request)
        if action == "reject":
            try:
                draft = service.reject(self.store, self.clock, draft.id, "web", who)
            except BotError as exc:
                return self._draft_view(request, draft, 409, message=exc.message)
            return self._draft_view(request, draft, message="Rejected: this draft will not be posted.")
        if action not in ("save", "approve"):
            return PlainTextResponse("unknown action", 400)
        if draft.state == "draft":
            saved = self._save(request, draft, form, who)
            if isinstance(saved, Response):
                return saved
            draft = saved
        if action == "save":
            return self._draft_view(request, draft, message="Saved.")
        return self._approve(request, draft, who)

    def _save(self, request: Request, draft: ReviewDraft, form: FormData, who: str) -> ReviewDraft | Response:
        """Check every changed post of every network and the alt text; save all of them, or none and say why beside each."""
        texts: dict[str, str] = {}
        changed: list[tuple[str, int, str]] = []
        for network in draft.saved.names():
            for n, t in enumerate(review.tweets_of(draft, network), 1):
                name = field_name(network, n)
                texts[name] = sanitize(str(form.get(name, t.text)))
                if texts[name] != t.text:
                    changed.append((network, n, texts[name]))
        alt = sanitize(str(form.get("alt_text", ""))) if "alt_text" in form else None
        old_alt = draft.saved.image.alt_text
        errors: dict[str, str] = {}
        for network, n, text in changed:
            try:
                review.check_tweet(text, n, draft, network)
            except BotError as exc:
                errors[field_name(network, n)] = exc.message
        alt_error = ""
        if alt is not None and alt != old_alt:
            alt_error = review.alt_problem(alt, draft)
        if errors or alt_error:
            return self._draft_view(request, draft, 422, texts=texts, errors=errors, alt=alt, alt_error=alt_error,
                                    message="Nothing was saved: fix what is marked.")
        try:
            for network, n, text in changed:
                draft = service.edit(self.store, self.clock, draft.id, "web", who, tweet=n, text=text, network=network)
            if alt is not None and alt != old_alt:
                draft = service.edit(self.store, self.clock, draft.id, "web", who, alt=alt)
        except BotError as exc:
            return self._draft_view(request, draft, 409, message=exc.message)
        return draft

    def _approve(self, request: Request, draft: ReviewDraft, who: str) -> Response:
        try:
            service.approve(self.settings, self.store, self.clock, draft.id, "web", who, due_now=True)
        except ClaimHeld:
            if not self._posted_soon(draft.id):  # another tab, or the daemon, is publishing it: show its outcome
                message = "Another bot process is publishing this draft right now; reload in a moment."
                return self._draft_view(request, service.find_draft(self.store, draft.id), 409, message=message)
        except BotError as exc:
            log.error("review page: approving draft %s: %s", draft.id, exc)
            return self._draft_view(request, service.find_draft(self.store, draft.id), 502, message=f"Not published: {exc}")
        draft = service.find_draft(self.store, draft.id)
        names = ", ".join(review.network_name(n) for n in draft.saved.names())
        message = f"Published on {names}." if draft.state == "posted" else f"Approved ({draft.state})."
        return self._draft_view(request, draft, message=message)

    def _posted_soon(self, draft_id: int, wait: float = 30.0) -> bool:
        """Whether the draft is posted within `wait` seconds (checked twice a second; real time, as X's is)."""
        deadline = time.monotonic() + wait
        while service.find_draft(self.store, draft_id).state != "posted":
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.5)
        return True

    def history(self, request: Request) -> Response:
        """GET /history: what was posted and what failed, and the post budget left today."""
        gate = self._gate(request)
        if gate:
            return gate
        rows = [r for r in self.store.history(100) if r["status"] not in ("skipped",)]
        for r in rows:
            r["when"] = (iso(r["published"] or r["updated_at"]) or "")[:16].replace("T", " ")
            r["links"] = [post_link(t) for t in r["tweets"]]
        per_day = Budget.from_settings(self.settings).per_day  # the primary network's post budget
        used = self.store.posts_since(self.clock.time() - policy.DAY)
        left = f"{max(0, per_day - used)} of {per_day}" if per_day else "no limit (x.posts_per_day = 0)"
        return _page(request, "history.html", rows=rows, budget_left=left, used=used)


def create_app(settings: Settings, store: Store, clock: Clock, ops: Ops | None = None) -> Starlette:
    """The ASGI app for these settings and this store."""
    ops = ops or Ops(settings, store, clock)
    page = Review(settings, store, clock, ops)
    static = Path(str(files("bot.web").joinpath("static")))

    async def poll(request: Request) -> Response:
        return await api_poll(ops, request)

    def health(request: Request) -> Response:
        return healthz(ops)

    def prometheus(request: Request) -> Response:
        return metrics(ops)

    def media(request: Request) -> Response:
        # A shared image, for a network that fetches it itself (networks/media.py): no session, the token is the
        # key; a malformed, unknown or expired one, or a file gone, is 404 alike.
        found = shares.lookup(settings, str(request.path_params["token"]), clock.time())
        if found is None:
            return PlainTextResponse("not found\n", 404)
        return FileResponse(found[0], media_type=found[1],
                            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

    def length_js(request: Request) -> Response:
        return Response(length_data_js(), media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=3600"})

    routes = [
        Route("/login", page.login_page, methods=["GET"]),
        Route("/login", page.login, methods=["POST"]),
        Route("/logout", page.logout, methods=["POST"]),
        Route("/", page.index, methods=["GET"]),
        Route("/drafts/{id}", page.draft_page, methods=["GET"]),
        Route("/drafts/{id}", page.act, methods=["POST"]),
        Route("/drafts/{id}/image", page.image, methods=["GET"]),
        Route("/history", page.history, methods=["GET"]),
        Route("/api/poll", poll, methods=["POST"]),
        Route("/healthz", health, methods=["GET"]),
        Route("/metrics", prometheus, methods=["GET"]),
        Route("/assets/length-data.js", length_js, methods=["GET"]),
        Route(shares.ROUTE + "{token}", media, methods=["GET"]),
        Mount("/static", StaticFiles(directory=static), name="static"),
    ]
    secure = settings.web.public_url.strip().lower().startswith("https://")
    middleware = [Middleware(Gate, settings=settings),  # before every route: the client's address, the Host rule
                  Middleware(SessionMiddleware, secret_key=security.session_key(settings),
                             session_cookie=security.SESSION_COOKIE, max_age=security.SESSION_AGE,
                             same_site="lax", https_only=secure)]
    return Starlette(routes=routes, middleware=middleware)


def field_name(network: str, number: int) -> str:
    """A post's form field: `tweet-N` on the primary network, X (as before networks), `<network>-N` beside it."""
    return f"tweet-{number}" if network == PRIMARY else f"{network}-{number}"


def post_link(item: dict[str, object]) -> tuple[str, str]:
    """(label, URL) of one published post in `bot history`'s shape: the page its network's descriptor names
    (X's status page, Bluesky's post page, the status page a Mastodon instance named); "#" for none."""
    post_id = str(item.get("id") or item.get("tweet_id") or "")
    network = str(item.get("network", PRIMARY))
    if network in registry.names():
        label, href = registry.get(network).post_link(post_id, str(item.get("url") or ""))
        if href and safe_href(href) == href:
            return label, href
    return f"{network} {post_id}", "#"
