"""The machine-facing endpoints: POST /api/poll (the automation trigger), /healthz and /metrics.

/api/poll runs one poll of every feed in this process, under the same claims as the daemon, so a trigger that
fires while the daemon polls posts nothing twice. /healthz needs no session (platform health checks have none);
/metrics neither (Prometheus scrapes it) and so carries counts only: no secret, no title, no article text.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.core.clock import Clock
from bot.core.errors import BotError
from bot.core.settings import Settings
from bot.networks import registry
from bot.run import service
from bot.run.daemon import stall_limit
from bot.state.stats import Stats
from bot.state.store import Store
from bot.web import security
from bot.web.throttle import Throttle

log = logging.getLogger(__name__)


class Ops:
    """What the machine endpoints share: the settings, the store, the clock, and this process's poll counts."""

    def __init__(self, settings: Settings, store: Store, clock: Clock) -> None:
        self.settings, self.store, self.clock = settings, store, clock
        self.started = clock.time()
        self.polls = {"ok": 0, "failed": 0}
        self.lock = threading.Lock()
        self.poll_lock = threading.Lock()  # one /api/poll at a time: a second waits for the first
        self.throttle = Throttle()  # wrong tokens per client, sign-in and bearer alike

    def count_poll(self, ok: bool) -> None:
        """Note one finished poll of one feed (the daemon's or the API's)."""
        with self.lock:
            self.polls["ok" if ok else "failed"] += 1

    def poll_all(self) -> dict[str, object]:
        """One poll of every feed; what happened, as JSON."""
        before = {d.id for d in service.drafts(self.store, ("draft",))}
        feeds: list[dict[str, object]] = []
        posted = 0
        with self.poll_lock:
            for url in self.settings.feed.urls:
                result: dict[str, object]
                try:
                    count = service.poll(self.settings, self.store, self.clock, url)
                    result, posted = {"feed": url, "ok": True, "posted": count}, posted + count
                except BotError as exc:
                    result = {"feed": url, "ok": False, "error": security_safe(self.settings, str(exc))}
                self.count_poll(result["ok"] is True)
                feeds.append(result)
        waiting = service.drafts(self.store, ("draft",))
        return {"feeds": feeds, "posted": posted,
                "new_drafts": [{"id": d.id, "link": f"/drafts/{d.id}"} for d in waiting if d.id not in before],
                "drafts_waiting": len(waiting), "ok": all(f["ok"] for f in feeds)}

    def last_poll_age(self) -> float:
        """Seconds since the stalest configured feed was last polled (by any process); from start when never."""
        now = self.clock.time()
        times = [self.store.feed_state(url).get("last_poll") or self.started for url in self.settings.feed.urls]
        return now - min(times) if times else now - self.started


def security_safe(settings: Settings, text: str) -> str:
    """An error line with every secret value masked."""
    return settings.secrets.redact(text)


async def api_poll(ops: Ops, request: Request) -> Response:
    """POST /api/poll with `Authorization: Bearer <BOT_WEB_TOKEN>`: one poll of every feed now; 401 otherwise."""
    wait = ops.throttle.retry_after(request.client.host if request.client else None)
    if wait:
        return JSONResponse({"error": f"too many wrong tokens from your address: retry after {wait} s"}, 429,
                            headers={"Retry-After": str(wait)})
    if not security.bearer_ok(ops.settings, request):
        wrong_token(ops, request)
        return JSONResponse({"error": "send Authorization: Bearer <BOT_WEB_TOKEN>"}, 401,
                            headers={"WWW-Authenticate": 'Bearer realm="bot"'})
    if not ops.settings.feed.urls:
        return JSONResponse({"error": "no feed configured: set BOT_FEED_URL"}, 400)
    return JSONResponse(await run_in_threadpool(ops.poll_all))


def wrong_token(ops: Ops, request: Request) -> None:
    """Count a wrong token against its client; log the first of a series and the moment it is throttled, not each."""
    state = ops.throttle.failed(request.client.host if request.client else None)
    if state == "first":
        log.warning("review page: a wrong token from %s", security.client(request))
    elif state == "throttled":
        log.warning("review page: %d wrong tokens from %s: its tries are answered 429 for a while", ops.throttle.burst,
                    security.client(request))


def healthz(ops: Ops) -> Response:
    """GET /healthz: 200 with the age of the last poll, 503 when polling has stalled."""
    limit = stall_limit(ops.settings.daemon)
    try:
        age = ops.last_poll_age()
    except BotError as exc:
        return JSONResponse({"ok": False, "error": security_safe(ops.settings, str(exc))}, 503)
    body = {"ok": age <= limit, "last_poll_age_seconds": round(age, 1), "stall_after_seconds": limit}
    return JSONResponse(body, 200 if age <= limit else 503)


class _Collector:
    """Reads the store at each scrape: nothing is kept twice."""

    def __init__(self, ops: Ops) -> None:
        self.ops = ops

    def collect(self) -> Iterator[Metric]:
        store = self.ops.store
        polls = CounterMetricFamily("bot_polls", "Feed polls finished by this process.", labels=["outcome"])
        for outcome, n in self.ops.polls.items():
            polls.add_metric([outcome], n)
        yield polls
        stats = Stats(store).read()
        entries = GaugeMetricFamily("bot_entries", "Entries in the store by status.", labels=["status"])
        for status, n in sorted(stats.entries.items()):
            entries.add_metric([status], n)
        yield entries
        drafts = GaugeMetricFamily("bot_drafts", "Drafts by review state.", labels=["state"])
        for state, n in sorted(stats.drafts.items()):
            drafts.add_metric([state], n)
        yield drafts
        yield CounterMetricFamily("bot_posts", "Posts published on X.", value=stats.posts)
        mine = GaugeMetricFamily("bot_publication_entries", "Entries by publication and status.",
                                 labels=["publication", "status"])
        for (publication, status), n in sorted(stats.by_publication.items()):
            mine.add_metric([publication, status], n)
        yield mine
        out = CounterMetricFamily("bot_publication_posts", "Posts published, by publication and network.",
                                  labels=["publication", "network"])
        for (publication, network), n in sorted(stats.posts_by.items()):
            out.add_metric([publication, network], n)
        yield out
        yield CounterMetricFamily("bot_failures", "Entries whose last attempt failed.", value=stats.failures)
        calls = CounterMetricFamily("bot_model_calls", "Model calls made (text and image).", labels=["outcome"])
        for outcome, n in sorted(stats.model_calls.items()):
            calls.add_metric([outcome], n)
        yield calls
        yield CounterMetricFamily("bot_x_spend_dollars", "Estimated X pay-per-use spend of the threads posted.",
                                  value=stats.spend)
        expiry = GaugeMetricFamily("bot_token_expiry_seconds", "Seconds until a network's access token ends at the "
                                   "latest (negative: ended); only where the bot knows when.", labels=["network"])
        now = self.ops.clock.time()
        for network, ends in sorted(registry.token_expiries(self.ops.settings).items()):
            expiry.add_metric([network], round(ends - now))
        yield expiry
        yield GaugeMetricFamily("bot_last_poll_age_seconds", "Seconds since the stalest feed was polled.",
                                value=self.ops.last_poll_age())


def metrics(ops: Ops) -> Response:
    """GET /metrics: Prometheus text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(ops))
    return Response(generate_latest(registry), media_type="text/plain; version=0.0.4; charset=utf-8")
