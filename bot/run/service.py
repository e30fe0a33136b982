"""The one service the `bot` command and the review page call: post, poll, draft, approve, edit and reject.

`cli/` and `web/` parse, show and answer; what happens to an entry or a draft is decided here (and below). The
dependencies are asked of `run/wiring.py` by purpose (publish, draft), which alone decides what a dry run is.
`bot post --dry-run` does not come here: it needs no store (`cli/post.py` calls `wiring` and `pipeline` directly).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.core.clock import Clock
from bot.core.errors import BotError
from bot.core.records import PRIMARY, Entry, PostedThread, PublishedTweet, Thread
from bot.core.settings import Settings
from bot.run import review, wiring
from bot.run.poller import poll_feed
from bot.run.publishing import publish_entry, thread_from_plan
from bot.run.review.notify import notify_waiting
from bot.state import ledger
from bot.state.drafts import WAITING, DraftEvent, ReviewDraft
from bot.state.store import Store

Status = Callable[[str], None]
log = logging.getLogger(__name__)


def open_store(settings: Settings) -> Store:
    """The store named by DATABASE_URL, else the SQLite file; created or migrated (`bot post`, `bot run`, review)."""
    return Store.open(settings.secrets.get("DATABASE_URL") or None, settings)


def read_store(settings: Settings) -> Store | None:
    """The store for a read-only command, or None when nothing was recorded yet; creates no file or table."""
    return Store.open_existing(settings.secrets.get("DATABASE_URL") or None, settings)


def post(settings: Settings, store: Store, entry: Entry, source: str, out_dir: Path, *,
         on_text: Status | None = None, on_status: Status | None = None) -> tuple[Thread, PostedThread]:
    """`bot post`: write the entry's thread (or reload its plan) and publish it exactly once on every network."""
    deps = wiring.for_publishing(settings.for_feed(source), store=store, on_text=on_text, on_status=on_status)
    return publish_entry(entry, source, deps, out_dir)


def draft(settings: Settings, store: Store, entry: Entry, source: str, out_dir: Path, via: str, who: str, *,
          on_text: Status | None = None, on_status: Status | None = None) -> tuple[ReviewDraft, Thread]:
    """`bot post --draft`: prepare the entry as a draft (publishing nothing), announce it; the draft and its thread."""
    deps = wiring.for_drafting(settings.for_feed(source), store=store, on_text=on_text, on_status=on_status)
    made = review.prepare_draft(entry, source, deps, out_dir, via, who)
    if made.state == "rejected":
        raise BotError(f"this entry's draft {made.id} was rejected; it is not prepared again")
    notify_waiting(settings, store, deps.clock.time())
    return made, thread_from_plan(made.saved, made.entry, deps, out_dir, need_image=False)


def poll(settings: Settings, store: Store, clock: Clock, url: str,
         should_stop: Callable[[], bool] = lambda: False) -> int:
    """One poll of one feed (the daemon's, `bot run --once`'s and /api/poll's); how many threads went out.

    Each poll wires its own dependencies: its publisher checks this poll's `should_stop` between posts, and feeds
    polled at once in the scheduler's threads share no client or writer state. Waiting drafts are announced after."""
    try:
        deps = wiring.for_publishing(settings.for_feed(url), store=store, clock=clock, should_stop=should_stop)
        return poll_feed(url, deps, should_stop, Path(settings.output.dir))
    finally:
        notify_waiting(settings, store, clock.time())


def check_ready(settings: Settings, store: Store, clock: Clock) -> None:
    """ConfigError now for a settings or credential problem that would stop every poll (the daemon's first step).

    With several publications only when none of them is ready: one publication's missing account is logged, and
    its feeds fail their polls with that line, while the others post (one account never holds back another)."""
    if len(settings.publications) == 1:
        wiring.for_publishing(settings.of_publication(settings.publications[0].name), store=store, clock=clock)
        return
    problems: list[BotError] = []
    ready: list[Settings] = []
    for publication in settings.publications:  # each account's credentials: cheap, even for a thousand
        mine = settings.of_publication(publication.name)
        try:
            for network in mine.networks:
                wiring.require_credentials(mine, network)
            ready.append(mine)
        except BotError as exc:
            problems.append(exc)
    if not ready:
        raise problems[0]
    wiring.for_publishing(ready[0], store=store, clock=clock)  # the writer, images and publishers, wired once
    for problem in problems:
        log.warning("a publication is not ready: %s", problem)


@dataclass(frozen=True)
class Approved:
    """What approving did: the draft as it is now, and what was published (None: scheduled, or out already)."""

    draft: ReviewDraft
    posted: PostedThread | None = None


def approve(settings: Settings, store: Store, clock: Clock, draft_id: int | str, via: str, who: str,
            at: float | None = None, *, due_now: bool = False) -> Approved:
    """Approve a draft and, unless it is scheduled for later, publish it now (exactly once, as `bot post` does).

    A draft scheduled earlier whose time has come is left to the daemon, or (`due_now`: the page's Approve)
    published at once."""
    later = at is not None and at > clock.time()
    mine = settings.for_feed(find_draft(store, draft_id).feed)  # the draft's publication: its accounts and settings
    deps = None if later else wiring.for_publishing(mine, store=store, clock=clock)  # credentials first
    approved = review.approve(store, draft_id, via, who, clock.time(), at=at)
    if approved.state == "posted" or (approved.state == "scheduled" and not (due_now and at is None)):
        return Approved(approved)
    assert deps is not None
    posted = review.publish_approved(approved, deps)
    return Approved(review.drafts_of(store).get(approved.id), posted)


def edit(store: Store, clock: Clock, draft_id: int | str, via: str, who: str, *, tweet: int | None = None,
         text: str | None = None, alt: str | None = None, network: str = "") -> ReviewDraft:
    """Change one post's text and/or the alt text of a waiting draft; EditRefused names the one problem."""
    return review.edit(store, draft_id, via, who, clock.time(), tweet=tweet, text=text, alt=alt,
                       network=network or PRIMARY)


def reject(store: Store, clock: Clock, draft_id: int | str, via: str, who: str) -> ReviewDraft:
    """Reject a draft: never posted, never prepared again."""
    return review.reject(store, draft_id, via, who, clock.time())


def published(store: Store, draft: ReviewDraft) -> list[tuple[str, PublishedTweet]]:
    """Every post of the draft's thread a network holds already: (network, post), in the draft's order."""
    return [(network, post) for network in draft.saved.names()
            for _, post in sorted(ledger.posted(store, draft.feed, draft.entry_key, network).items())]


def drafts(store: Store, states: tuple[str, ...] = WAITING, feeds: set[str] | None = None) -> list[ReviewDraft]:
    """The drafts in these states (by default those waiting; of these feeds: one publication's), oldest first."""
    return review.drafts_of(store).listing(states, feeds)


def find_draft(store: Store, draft_id: int | str) -> ReviewDraft:
    """One draft by its id; DraftNotFound (one line, with a hint) when no draft has it."""
    return review.drafts_of(store).get(draft_id)


def draft_events(store: Store, draft_id: int) -> list[DraftEvent]:
    """Every change of one draft, oldest first (state, via, who, note, at)."""
    return review.drafts_of(store).events(draft_id)
