"""Publishing one entry exactly once: claim it in the store, reuse its saved plan, resume from its ledger."""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.errors import (
    BotError,
    BudgetExceeded,
    ClaimLost,
    DuplicateContent,
    PublishError,
    RateLimited,
    clip,
    is_local,
)
from bot.core.records import PRIMARY, Draft, Entry, Image, NetworkThread, Plan, PostedThread, SavedThread, Thread, Tweet
from bot.feed import article as article_stage
from bot.images.chain import default_prompt
from bot.images.normalise import describe_file
from bot.networks import registry
from bot.networks.base import Budget, Ledger, Publisher, cost, expected_posts, posts_needed
from bot.networks.registry import counter_for
from bot.run.lease import Heartbeat
from bot.run.pipeline import Deps, fit_networks, prepare, thread_spec
from bot.state import policy
from bot.state.drafts import DraftStore
from bot.state.ledger import Claim, StoreLedger
from bot.tweets.grounding import gate

if TYPE_CHECKING:
    from bot.state.store import Store

log = logging.getLogger(__name__)
OWNER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
# The store's claim names a process, and a process may claim again what it holds; so threads of one process
# (the review page's requests, the daemon beside it in `bot run --web`) also take the entry here, one at a time.
_IN_HAND: set[tuple[str, str]] = set()
_IN_HAND_LOCK = threading.Lock()


def thread_from_plan(plan: Plan, entry: Entry, deps: Deps | None, out_dir: Path, need_image: bool,
                     add_networks: bool = True) -> Thread:
    """The thread saved before the first attempt, so a resumed run posts exactly the same text.

    With `deps`, a network configured since the plan was saved gets its own fitting too (none: as saved).
    The entry keeps the date the plan saved: a feed may date it anew (an Atom <updated> moves with each edit),
    and Bluesky's record keys are derived from it, so a resumed post is looked for under the key it was sent with."""
    entry = _as_planned(entry, plan)
    article = article_stage.read_article(entry)

    def posts(name: str, saved: SavedThread) -> tuple[Tweet, ...]:
        # A saved post goes through the last gate again before it leaves (it stays as saved when it passes).
        counter = counter_for(name, saved.limit, saved.url_weight)
        return tuple(Tweet(gate.recheck(p.text, article, counter), p.weighted_length, p.evidence) for p in saved.posts)

    meta = plan.image
    path = out_dir / meta.path if meta.path else None
    image = Image(path, meta.alt_text, meta.prompt, meta.source)
    if need_image and deps is not None and meta.path and not (path and path.is_file()):
        # The output folder is gone (a new dyno's disk): make the image again; the text stays the same.
        prompt = gate.image_prompt(meta.prompt or default_prompt(article), article).text
        image = deps.images.make(article, prompt, meta.alt_text, out_dir)
    elif path and path.is_file():
        mime, width, height, size = describe_file(path)
        image = Image(path, image.alt_text, image.prompt, image.source, mime, width, height, size)
    # Every network's thread is held alike; the primary's is also the Thread's `tweets` (thread.json's contract).
    saved = {name: posts(name, t) for name, t in plan.threads.items()}
    networks = tuple(NetworkThread(name, saved[name], t.limit, t.url_weight or counter_for(name, t.limit).url_weight)
                     for name, t in plan.threads.items() if t.fitted)
    thread = Thread(article, saved.get(PRIMARY, ()), image, plan.writer, networks=networks, draft=plan.draft)
    return _add_networks(thread, deps) if deps is not None and add_networks else thread


def _reviewed_networks(networks: tuple[tuple[str, Publisher], ...], plan: Plan, feed: str,
                       entry: Entry) -> tuple[tuple[str, Publisher], ...]:
    """The configured networks whose thread the approved draft holds; each other one is named in a warning."""
    held = set(plan.fitted)
    for name, _ in networks:
        if name not in held:
            log.warning("%s: %s: the approved draft has no %s thread (the network was configured after it was "
                        "prepared), so nothing of it goes to %s", feed, entry.title or entry.key,
                        registry.name(name), registry.name(name))
    kept = tuple((name, p) for name, p in networks if name in held)
    if not kept:
        raise PublishError(f"the approved draft holds no thread for {', '.join(registry.name(n) for n, _ in networks)}",
                           f"add {', '.join(sorted(held))} back to `networks` and approve it again", retryable=False)
    return kept


def _as_planned(entry: Entry, plan: Plan) -> Entry:
    """The entry with the publication date its plan saved (none when it had none), if the plan says."""
    if plan.entry is None:
        return entry
    try:
        published = datetime.fromisoformat(plan.entry.published) if plan.entry.published else None
    except ValueError:
        return entry
    return dataclasses.replace(entry, published=published)


def _add_networks(thread: Thread, deps: Deps) -> Thread:
    """The saved thread with a fitting for every configured network it lacks (one added since it was saved).

    A network's saved posts are never refitted: a resumed thread goes on with exactly the text it started with.
    The new ones are fitted from the writer's saved draft, or (a plan from before networks) from X's posts.
    """
    have = {n.network for n in thread.networks} or {PRIMARY}
    missing = tuple(c for c in deps.counters() if c.network not in have)
    if not missing:
        return thread
    texts = thread.draft or tuple(t.text for t in thread.tweets)
    added, _ = fit_networks(Draft(texts), thread.article, thread_spec(deps.settings), missing, settings=deps.settings)
    primary = counter_for(PRIMARY)
    known = thread.networks or (NetworkThread(PRIMARY, thread.tweets, primary.limit, primary.url_weight),)
    return Thread(thread.article, thread.tweets, thread.image, thread.writer, thread.calls, thread.notes,
                  networks=(*known, *added), draft=thread.draft)


def _budget(deps: Deps) -> Budget:
    """The primary network's post budget of this publication's account there (two publications sharing it share it)."""
    store, now, account = deps.db, deps.clock.now(), deps.settings.account(PRIMARY)
    return Budget.from_settings(deps.settings.for_account(PRIMARY),
                                used_24h=store.posts_since(deps.clock.time() - policy.DAY, PRIMARY, account),
                                used_month=store.posts_since(policy.month_start(now), PRIMARY, account))


class ClaimHeld(PublishError):
    """Another bot process holds the entry's claim: normal when two workers overlap, nothing failed."""


def publish_entry(entry: Entry, feed: str, deps: Deps, out_dir: Path,
                  should_stop: Callable[[], bool] | None = None) -> tuple[Thread, PostedThread]:
    """Publish one entry (see _publish); ClaimHeld when another thread of this process is publishing it."""
    with in_hand(feed, entry.key) as mine:
        if not mine:
            raise ClaimHeld("another thread of this bot process is publishing this entry",
                            "let it finish; it posts nothing twice", retryable=True)
        return _publish(entry, feed, deps, out_dir, should_stop)


@contextmanager
def in_hand(feed: str, key: str) -> Iterator[bool]:
    """Take the entry for this thread: True when no other thread of this process has it (released on leaving).

    The store's claim tells processes apart; this tells apart the threads of one (the daemon's poll, /api/poll
    and the review page's requests in `bot run --web`), so one entry is prepared or published by one at a time."""
    with _IN_HAND_LOCK:
        mine = (feed, key) not in _IN_HAND
        _IN_HAND.add((feed, key))
    try:
        yield mine
    finally:
        if mine:
            with _IN_HAND_LOCK:
                _IN_HAND.discard((feed, key))


def _publish(entry: Entry, feed: str, deps: Deps, out_dir: Path,
             should_stop: Callable[[], bool] | None) -> tuple[Thread, PostedThread]:
    """Prepare (or reload) the entry's thread and publish what is missing on every network; never posts twice.

    `should_stop` is the daemon's shutdown probe (the publisher checks the same probe between tweets): a thread
    it stopped half-way is left "partial", to be finished on the next poll. Waiting for X's post budget or rate
    limit leaves the entry "waiting" until it frees and uses none of its daemon.max_attempts.

    Each network has its own ledger: one that fails does not stop the others, and the entry's next attempt
    posts only what that network still lacks. With one network its error is raised; with several, the first
    failure that can pass (else the first) decides the entry's status, and one is raised only when no network got
    anywhere.
    """
    store, clock, settings = deps.db, deps.clock, deps.settings
    store.upsert_entries(feed, [entry], "new", clock.time(), settings.publication)
    _not_rejected(store, feed, entry.key)
    networks = deps.networks()
    lease = float(settings.store.lease_seconds)
    token = _claim(store, feed, entry.key, lease, clock.time())
    if not token:
        row = store.entry(feed, entry.key) or {}
        left = max(0, round(float(row.get("lease_until") or 0) - clock.time()))
        raise ClaimHeld(f"another bot process ({row.get('claimed_by') or 'unknown'}) is publishing this entry",
                        f"let it finish; if it is gone for good its claim runs out in {left} s "
                        "(store.lease_seconds), and then any run finishes the thread without posting anything twice",
                        retryable=True)
    # The fence: every ledger proves this claim (owner and token) in the transaction of each pending mark, and the
    # heartbeat keeps its lease alive while this process waits (model, image, 429 resets, look-ups).
    claim = Claim(OWNER, token, lease)
    ledgers = {name: store.ledger(feed, entry.key, now=clock.time, network=name, claim=claim,
                                  account=settings.account(name)) for name, _ in networks}
    try:
        _not_rejected(store, feed, entry.key)  # again under the claim: a reviewer may have rejected it meanwhile
    except PublishError:
        store.release(feed, entry.key, OWNER, "declined", clock.time(), count_attempt=False, token=token)
        raise
    outcome = _Outcome()
    thread: Thread | None = None
    heartbeat = Heartbeat(store, feed, entry.key, claim, clock, on_lost=lambda: _mark_lost(ledgers)).start()
    try:
        plan = store.load_plan(feed, entry.key)
        reviewed = plan is not None and DraftStore(store).for_entry(feed, entry.key) is not None
        # A reviewed thread goes out as approved: a network configured since gets no unseen thread.
        if plan is not None and reviewed:
            networks = _reviewed_networks(networks, plan, feed, entry)
            ledgers = {name: ledgers[name] for name, _ in networks}
        need_image = any(1 not in ledger.done() for ledger in ledgers.values())
        if plan is not None:
            deps.on_status("resuming the saved thread")
            thread = thread_from_plan(plan, entry, deps, out_dir, need_image=need_image, add_networks=not reviewed)
            if len(thread.networks) > len(plan.fitted):  # a network added since: keep its text too
                store.save_plan(feed, entry.key, Plan.of(thread, feed), claim=claim)
        else:
            if PRIMARY in ledgers:
                _room_for_a_thread(deps)  # before the model and the image are paid for
            thread = prepare(entry, deps, out_dir)
            store.save_plan(feed, entry.key, Plan.of(thread, feed), claim=claim)
            store.record_calls(feed, entry.key, thread.calls, clock.time())
        parts: list[PostedThread] = []
        failures: list[tuple[str, BaseException]] = []
        for name, publisher in networks:
            deps.on_status(f"publishing to {registry.name(name)}")
            try:
                parts.append(publisher.publish(thread, ledgers[name], _budget(deps) if name == PRIMARY else None))
            except ClaimLost:
                raise  # another process holds the entry now: no network of this one sends anything more
            except BotError as exc:
                if len(networks) == 1:
                    raise
                log.warning("%s: %s", registry.name(name), exc)
                failures.append((name, exc))
                parts.append(PostedThread(thread, tuple(ledgers[name].done().values()), complete=False,
                                          notes=(f"{registry.name(name)}: {exc}",)))
        posted = _merge(thread, parts)
        if failures:
            # A network that can still be finished decides, so the entry is tried again (each network's ledger
            # keeps what it posted); only when every failure is for good does the first one's status stand.
            decisive = next((e for _, e in failures if not isinstance(e, PublishError) or e.retryable), failures[0][1])
            outcome.classify(decisive, thread, ledgers.get(PRIMARY), deps, store, feed, entry.key)
            outcome.error = clip("; ".join(f"{registry.name(n)}: {e}" for n, e in failures), 500)
            if not any(p.published for p in parts):
                raise failures[0][1]
        elif posted.complete:
            outcome.status, outcome.counts = "posted", False
            DraftStore(store).mark_posted(feed, entry.key, clock.time())
        elif should_stop is not None and should_stop():
            outcome.status, outcome.counts = "partial", False  # a shutdown, not a failure: the next poll finishes it
        else:
            outcome.status = "truncated"  # x.reply_fallback = stop: ends here until `bot retry`
        if not posted.complete and not failures:
            outcome.error = clip("; ".join(posted.notes), 500)
        return thread, posted
    except BaseException as exc:
        if not outcome.error:
            outcome.classify(exc, thread, ledgers.get(PRIMARY), deps, store, feed, entry.key)
        raise
    finally:
        heartbeat.stop()
        plan_cost = (cost(thread, settings) if thread is not None and PRIMARY in ledgers
                     and outcome.status in ("posted", "partial", "truncated") else None)
        # With the token: a process that lost the claim records nothing (the holder's outcome stands).
        store.release(feed, entry.key, OWNER, outcome.status, clock.time(), error=outcome.error,
                      next_attempt=outcome.retry_at, count_attempt=outcome.counts, cost=plan_cost, token=token)


def _mark_lost(ledgers: dict[str, StoreLedger]) -> None:
    """Tell every ledger of the entry that its claim is lost, so a publisher's wait (a 429 reset, a look-up) ends now."""
    for ledger in ledgers.values():
        ledger.lost = True


class _Outcome:
    """What becomes of the entry after an attempt: its status, last error, next attempt, whether it counts."""

    def __init__(self) -> None:
        self.status, self.error, self.counts = "failed", "", True
        self.retry_at: float | None = None

    def classify(self, exc: BaseException, thread: Thread | None, ledger: Ledger | None, deps: Deps, store: Store,
                 feed: str, key: str) -> None:
        """Set the outcome from the error that ended (or, with several networks, marred) the attempt."""
        self.error = str(exc) if isinstance(exc, BotError) else f"{type(exc).__name__}: {exc}"
        if isinstance(exc, (BudgetExceeded, RateLimited)):
            if exc.retryable:
                self.status, self.counts, self.retry_at = "waiting", False, _wait_until(exc, thread, ledger, deps)
            else:  # the thread is longer than a limit allows: waiting cannot help, retrying neither
                self.status = "rejected"
        elif isinstance(exc, DuplicateContent):
            self.status = "duplicate"
        elif isinstance(exc, PublishError):
            if exc.retryable:
                self.retry_at = _backoff(store, feed, key, deps)
            else:
                self.status = "rejected"
        elif isinstance(exc, BotError):
            self.retry_at = _backoff(store, feed, key, deps)
        # anything else (a crash, Ctrl-C) still releases the claim, so a rerun can finish the thread
        if self.status == "failed" and is_local(exc):  # disk full, ulimit -f: the machine's fault, not the entry's
            log.warning("local failure (%s): the entry is tried again once there is room; no attempt used",
                        exc.message if isinstance(exc, BotError) else exc)
            self.counts, self.retry_at = False, deps.clock.time() + deps.settings.daemon.retry_backoff
            self.error = f"local failure, no attempt used: {self.error}"


def _merge(thread: Thread, parts: list[PostedThread]) -> PostedThread:
    """One PostedThread from every network's: all posts, X's linking mode, complete when every network is."""
    if len(parts) == 1:
        return parts[0]
    mode = parts[0].mode if parts else "reply"
    return PostedThread(thread, tuple(p for part in parts for p in part.published), mode=mode,
                        complete=bool(parts) and all(p.complete for p in parts),
                        notes=tuple(n for part in parts for n in part.notes))


def _not_rejected(store: Store, feed: str, key: str) -> None:
    if DraftStore(store).rejected(feed, key):
        raise PublishError("this entry's draft was rejected in review; a rejected draft is never posted",
                           "nothing to do; `bot drafts` lists the drafts waiting", retryable=False)


def _claim(store: Store, feed: str, key: str, lease: float, now: float) -> int:
    """Claim the entry: its fencing token, or 0 when another process holds it. A claim left by a dead process on this
    machine (killed, crashed) is taken over at once."""
    token = int(store.claim(feed, key, OWNER, lease, now))
    if token:
        return token
    holder = (store.entry(feed, key) or {}).get("claimed_by") or ""
    if not holder_gone(holder):
        return 0
    log.warning("taking over the claim of a process that is gone (%s)", holder)
    return int(store.take_over(feed, key, holder, OWNER, lease, now))


def holder_gone(holder: str) -> bool:
    """True when a claim's holder is a process of this machine that is gone (killed, crashed); a holder on another
    machine is gone only when its lease runs out."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    # A holder with this very process's pid but another owner is an earlier process whose pid was reused
    # (a container restarts as pid 1 every time): it is gone, whatever os.kill says.
    return holder != OWNER and (int(pid) == os.getpid() or not _alive(int(pid)))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _backoff(store: Store, feed: str, key: str, deps: Deps) -> float:
    """When to try a failed entry again: the backoff doubles with each attempt it has used."""
    attempts = (store.entry(feed, key) or {}).get("attempts", 0) + 1
    return policy.next_attempt(attempts, deps.settings.daemon.retry_backoff, deps.clock.time())


def _room_for_a_thread(deps: Deps) -> None:
    """BudgetExceeded (retryable) when X's post budget has no room for a new thread now, so that nothing is spent
    writing one; a thread longer than a limit is left for the written thread to show (it may come out shorter)."""
    try:
        _budget(deps).check(expected_posts(deps.settings))
    except BudgetExceeded as exc:
        if exc.retryable:
            raise


def _wait_until(exc: PublishError, thread: Thread | None, ledger: Ledger | None, deps: Deps) -> float:
    """When X will take the rest of the thread: the rate limit's reset, or when the post budget frees."""
    now = deps.clock.time()
    if isinstance(exc, RateLimited):
        # x-rate-limit-reset when X sent it; else one backoff step (a 429 without it says nothing better).
        return max(float(exc.reset_at), now) if exc.reset_at else now + deps.settings.daemon.retry_backoff
    limits = Budget.from_settings(deps.settings.for_account(PRIMARY))
    account = deps.settings.account(PRIMARY)
    done = len(ledger.done()) if ledger is not None else 0
    needed = (posts_needed(thread, deps.settings) - done) if thread is not None else expected_posts(deps.settings)
    at = policy.budget_frees_at(deps.db.post_times_since(now - policy.DAY, PRIMARY, account),
                                deps.db.posts_since(policy.month_start(deps.clock.now()), PRIMARY, account),
                                limits.per_day, limits.per_month, max(1, needed), deps.clock.now())
    return at if at is not None else now + deps.settings.daemon.retry_backoff
