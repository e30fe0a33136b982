"""Publishing one entry exactly once: claim it in the store, reuse its saved plan, resume from its ledger."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from pathlib import Path
from typing import Any, Callable

from bot.feed import article as article_stage
from bot.state import policy
from bot.core.errors import BotError, BudgetExceeded, DuplicateContent, PublishError, RateLimited
from bot.core.records import Entry, Image, PostedThread, Thread, Tweet, WriterInfo
from bot.output.record import thread_record
from bot.run.pipeline import Deps, prepare
from bot.images.normalise import describe_file
from bot.networks.base import Budget
from bot.networks.base import cost
from bot.networks.base import posts_needed
from bot.state.drafts import DraftStore

log = logging.getLogger("bot.publishing")
OWNER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def thread_from_plan(plan: dict[str, Any], entry: Entry, deps: Deps, out_dir: Path, need_image: bool) -> Thread:
    """The thread saved before the first attempt, so a resumed run posts exactly the same text."""
    article = article_stage.clean(entry)
    tweets = tuple(Tweet(t["text"], t["weighted_length"]) for t in plan["tweets"])
    meta = plan["image"]
    path = out_dir / meta["path"] if meta.get("path") else None
    image = Image(path, meta.get("alt_text", ""), meta.get("prompt", ""), meta.get("source", "none"))
    if need_image and meta.get("path") and not (path and path.is_file()):
        # The output folder is gone (a new dyno's disk): make the image again; the text stays the same.
        image = deps.images.make(article, meta.get("prompt", ""), meta.get("alt_text", ""), out_dir)
    elif path and path.is_file():
        mime, width, height, size = describe_file(path)
        image = Image(path, image.alt_text, image.prompt, image.source, mime, width, height, size)
    w = plan.get("writer", {})
    return Thread(article, tweets, image, WriterInfo(w.get("backend", "extractive"), w.get("model", ""), w.get("calls", 0)))


def _budget(deps: Deps) -> Any:
    store, now = deps.db, deps.clock.now()
    x = deps.settings.x
    return Budget(used_24h=store.posts_since(deps.clock.time() - policy.DAY),
                  used_month=store.posts_since(policy.month_start(now)),
                  per_day=x.posts_per_day, per_month=x.posts_per_month)


class ClaimHeld(PublishError):
    """Another bot process holds the entry's claim: normal when two workers overlap, nothing failed."""


def publish_entry(entry: Entry, feed: str, deps: Deps, out_dir: Path,
                  should_stop: Callable[[], bool] | None = None) -> tuple[Thread, PostedThread]:
    """Prepare (or reload) the entry's thread and publish what is missing; never posts a tweet twice.

    `should_stop` is the daemon's shutdown probe (the publisher checks the same probe between tweets): a thread
    it stopped half-way is left "partial", to be finished on the next poll. Waiting for X's post budget or rate
    limit leaves the entry "waiting" until it frees and uses none of its daemon.max_attempts.
    """
    store, clock, settings = deps.db, deps.clock, deps.settings
    store.upsert_entries(feed, [entry], "new", clock.time())
    _not_rejected(store, feed, entry.key)
    ledger = store.ledger(feed, entry.key, now=clock.time)
    if not _claim(store, feed, entry.key, settings.store.lease_seconds, clock.time()):
        row = store.entry(feed, entry.key) or {}
        left = max(0, round(float(row.get("lease_until") or 0) - clock.time()))
        raise ClaimHeld(f"another bot process ({row.get('claimed_by') or 'unknown'}) is publishing this entry",
                        f"let it finish; if it is gone for good its claim runs out in {left} s "
                        "(store.lease_seconds), and then any run finishes the thread without posting anything twice",
                        retryable=True)
    try:
        _not_rejected(store, feed, entry.key)  # again under the claim: a reviewer may have rejected it meanwhile
    except PublishError:
        store.release(feed, entry.key, OWNER, "declined", clock.time(), count_attempt=False)
        raise
    status, error, retry_at, counts = "failed", "", None, True
    thread: Thread | None = None
    try:
        plan = store.load_plan(feed, entry.key)
        done = ledger.done()
        if plan:
            deps.on_status("resuming the saved thread")
            thread = thread_from_plan(plan, entry, deps, out_dir, need_image=1 not in done)
        else:
            thread = prepare(entry, deps, out_dir)
            store.save_plan(feed, entry.key, thread_record(thread, feed=feed))
            store.record_calls(feed, entry.key, thread.calls, clock.time())
        deps.on_status("publishing to X")
        posted = deps.publisher.publish(thread, ledger, _budget(deps))
        if posted.complete:
            status, counts = "posted", False
            DraftStore(store).mark_posted(feed, entry.key, clock.time())
        elif should_stop is not None and should_stop():
            status, counts = "partial", False  # a shutdown, not a failure: the next poll finishes it
        else:
            status = "truncated"  # x.reply_fallback = stop: ends here until `bot retry`
        if not posted.complete:
            error = "; ".join(posted.notes)[:500]
        return thread, posted
    except (BudgetExceeded, RateLimited) as exc:
        error = str(exc)
        if exc.retryable:
            status, counts, retry_at = "waiting", False, _wait_until(exc, thread, ledger, deps)
        else:  # the thread is longer than a limit allows: waiting cannot help, retrying neither
            status = "rejected"
        raise
    except DuplicateContent as exc:
        status, error = "duplicate", str(exc)
        raise
    except PublishError as exc:
        error = str(exc)
        if exc.retryable:
            retry_at = _backoff(store, feed, entry.key, deps)
        else:
            status = "rejected"
        raise
    except BotError as exc:
        error = str(exc)
        retry_at = _backoff(store, feed, entry.key, deps)
        raise
    except BaseException as exc:  # even a crash or Ctrl-C releases the claim, so a rerun can finish the thread
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        plan_cost = cost(thread, settings) if thread is not None and status in ("posted", "partial", "truncated") else None
        store.release(feed, entry.key, OWNER, status, clock.time(), error=error, next_attempt=retry_at,
                      count_attempt=counts, cost=plan_cost)


def _not_rejected(store: Any, feed: str, key: str) -> None:
    if DraftStore(store).rejected(feed, key):
        raise PublishError("this entry's draft was rejected in review; a rejected draft is never posted",
                           "nothing to do; `bot drafts` lists the drafts waiting", retryable=False)


def _claim(store: Any, feed: str, key: str, lease: float, now: float) -> bool:
    """Claim the entry; a claim left by a dead process on this machine (killed, crashed) is taken over at once."""
    if store.claim(feed, key, OWNER, lease, now):
        return True
    holder = (store.entry(feed, key) or {}).get("claimed_by") or ""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine: only its lease running out says it is gone
    # A holder with this very process's pid but another owner is an earlier process whose pid was reused
    # (a container restarts as pid 1 every time): it is gone, whatever os.kill says.
    if int(pid) != os.getpid() and _alive(int(pid)):
        return False
    log.warning("taking over the claim of a process that is gone (%s)", holder)
    return bool(store.take_over(feed, key, holder, OWNER, lease, now))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _backoff(store: Any, feed: str, key: str, deps: Deps) -> float:
    """When to try a failed entry again: the backoff doubles with each attempt it has used."""
    attempts = (store.entry(feed, key) or {}).get("attempts", 0) + 1
    return policy.next_attempt(attempts, deps.settings.daemon.retry_backoff, deps.clock.time())


def _wait_until(exc: PublishError, thread: Thread | None, ledger: Any, deps: Deps) -> float:
    """When X will take the rest of the thread: the rate limit's reset, or when the post budget frees."""
    now = deps.clock.time()
    if isinstance(exc, RateLimited):
        # x-rate-limit-reset when X sent it; else one backoff step (a 429 without it says nothing better).
        return max(float(exc.reset_at), now) if exc.reset_at else now + deps.settings.daemon.retry_backoff
    x = deps.settings.x
    needed = (posts_needed(thread, deps.settings) - len(ledger.done())) if thread is not None else 1
    at = policy.budget_frees_at(deps.db.post_times_since(now - policy.DAY),
                                deps.db.posts_since(policy.month_start(deps.clock.now())),
                                x.posts_per_day, x.posts_per_month, max(1, needed), deps.clock.now())
    return at if at is not None else now + deps.settings.daemon.retry_backoff
