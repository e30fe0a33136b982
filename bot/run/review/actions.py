"""Review before posting: prepare a draft, edit it under the model's own checks, approve (publish exactly once) or reject.

Approving never posts by itself: it marks the entry "scheduled" at a time (now, or `--at`) and then, when that
time is now, runs the very `publish_entry` that `bot post` runs, under the same claim and ledger. If the process
dies half-way, the entry is still due, so the daemon (or a second approve) finishes the thread from the ledger.
The CLI and the web page reach these through `run/service.py`; `via` says which one ("cli" or "web").
"""

from __future__ import annotations

import logging
from pathlib import Path

from bot.core.errors import PublishError
from bot.core.files import write_atomic
from bot.core.records import PRIMARY, Entry, Plan, PostedThread, SavedPost, Thread
from bot.feed import article as article_stage
from bot.networks import registry
from bot.networks.registry import article_for
from bot.output import record as output
from bot.output.preview import render_preview
from bot.run.pipeline import Deps, prepare
from bot.run.publishing import publish_entry, thread_from_plan
from bot.run.review.checks import EditRefused, alt_problem, check_tweet, label, network_counter
from bot.state.drafts import DraftStore, ReviewDraft, iso
from bot.state.store import Store
from bot.tweets.grounding import gate
from bot.tweets.length import sanitize

log = logging.getLogger(__name__)


def drafts_of(store: Store) -> DraftStore:
    """The draft table of a store."""
    return DraftStore(store)


def review_info(draft: ReviewDraft) -> dict[str, object]:
    """A draft's review state as thread.json and `bot history` show it."""
    return {"id": draft.id, "state": draft.state, "via": draft.changed_via, "by": draft.changed_by,
            "at": iso(draft.updated_at), "publish_at": iso(draft.publish_at)}


def prepare_draft(entry: Entry, feed: str, deps: Deps, out_dir: Path, via: str, who: str) -> ReviewDraft:
    """Prepare the entry's thread (tweets, image, alt text, every check) and keep it as a draft; publish nothing."""
    store, clock = deps.db, deps.clock
    drafts = drafts_of(store)
    store.upsert_entries(feed, [entry], "new", clock.time())
    existing = drafts.for_entry(feed, entry.key)
    if existing is not None:
        return existing  # a draft is prepared once; a rejected one is never prepared again
    if not store.load_plan(feed, entry.key):
        thread = prepare(entry, deps, out_dir)
        store.record_calls(feed, entry.key, thread.calls, clock.time())
        if not store.save_plan(feed, entry.key, Plan.of(thread, feed), first=True):
            # Another process (a second `bot post --draft`, the daemon) kept its thread first, and a reviewer may
            # have seen or edited it already: that one is the draft, this late one is dropped.
            log.info("%s: %s: another bot process prepared this entry's thread first; its draft stands", feed,
                     entry.title or entry.key)
    draft = drafts.create(entry, feed, str(out_dir), via, who, clock.time())
    write_record(draft)
    log.info("%s: draft %s waits for review: %s", feed, draft.id, entry.title or entry.key)
    return draft


def write_record(draft: ReviewDraft, posted: PostedThread | None = None) -> None:
    """thread.json (with the review state) and preview.html in the draft's folder; a missing folder is skipped."""
    folder = Path(draft.out_dir) if draft.out_dir else None
    if folder is None or not folder.is_dir() or draft.plan is None:
        return
    published = [p.item() for p in posted.published] if posted is not None else []
    try:
        write_atomic(folder / "thread.json", output.dumps(output.plan_record(draft.plan, published, review_info(draft))))
        thread = draft_thread(draft)
        write_atomic(folder / "preview.html", render_preview(thread, posted, registry.display_names()))
    except OSError as exc:
        log.warning("cannot update %s: %s", folder, exc.strerror or exc)


def draft_thread(draft: ReviewDraft) -> Thread:
    """The draft's X thread as a record (for drawing it); its image is the file in the draft's folder, if still there."""
    folder = Path(draft.out_dir) if draft.out_dir else Path(".")
    # need_image=False: nothing is made again, so no dependencies are needed
    return thread_from_plan(draft.saved, draft.entry, None, folder, need_image=False)


def _editable(draft: ReviewDraft) -> None:
    if draft.state != "draft":
        raise EditRefused(f"draft {draft.id} is {draft.state}; only a waiting draft can be edited")
    if draft.entry_row.get("status") == "posted" or draft.entry_row.get("claimed_by"):
        raise EditRefused(f"draft {draft.id} is being published; it can no longer be edited")


def edit(store: Store, draft_id: int | str, via: str, who: str, now: float, *, tweet: int | None = None,
         text: str | None = None, alt: str | None = None, network: str = PRIMARY) -> ReviewDraft:
    """Change one tweet's text and/or the alt text; each change passes the checks or nothing is saved."""
    drafts = drafts_of(store)
    draft = drafts.get(draft_id)
    _editable(draft)
    plan = draft.saved
    notes = []
    if text is not None:
        counter = network_counter(draft, network)
        tweets = list(plan.posts(network))
        if tweet is None or not 1 <= tweet <= len(tweets):
            noun = label(network, 0)[:-2]
            raise EditRefused(f"there is no {noun} {tweet}: draft {draft.id} has {noun}s 1 to {len(tweets)}")
        checked = check_tweet(text, tweet, draft, network)
        evidence = gate.ground(checked, article_for(network, article_stage.read_article(draft.entry))).evidence
        tweets[tweet - 1] = SavedPost(checked, counter(checked), tuple(evidence))
        plan = plan.edited(network, tuple(tweets))
        notes.append(f"edited {label(network, tweet)}")
    if alt is not None:
        alt = " ".join(sanitize(alt).split())
        problem = alt_problem(alt, draft)
        if problem:
            raise EditRefused(problem)
        plan = plan.edited(alt_text=alt)
        notes.append("edited the alt text")
    if not notes:
        raise EditRefused("nothing to change: give --tweet N --text TEXT, or --alt TEXT")
    if not drafts.save_plan(draft.id, plan):
        state = drafts.get(draft.id).state  # approved (or being published) since the check above
        raise EditRefused(f"draft {draft.id} is {state} now (changed meanwhile); only a waiting draft can be edited")
    drafts.note(draft.id, via, who, "; ".join(notes), now)
    draft = drafts.get(draft.id)
    write_record(draft)
    return draft


def reject(store: Store, draft_id: int | str, via: str, who: str, now: float) -> ReviewDraft:
    """Reject a waiting draft: it is never posted and never prepared again."""
    drafts = drafts_of(store)
    draft = drafts.get(draft_id)
    if draft.state == "rejected":
        return draft
    if not drafts.set_state(draft.id, "rejected", via, who, now, expect=("draft", "scheduled")):
        state = drafts.get(draft.id).state
        raise EditRefused(f"draft {draft.id} is {state} and its thread is being published or is on X already; "
                          "it can no longer be rejected")
    draft = drafts.get(draft.id)
    write_record(draft)
    return draft


def approve(store: Store, draft_id: int | str, via: str, who: str, now: float, at: float | None = None) -> ReviewDraft:
    """Approve a draft: due now, or scheduled for `at`; `publish_approved` (or the daemon) then publishes it."""
    drafts = drafts_of(store)
    draft = drafts.get(draft_id)
    if draft.state in ("approved", "posted") or (draft.state == "scheduled" and at is None and
                                                  (draft.publish_at or 0) <= now):
        return draft  # approving twice changes nothing: the thread goes out once
    if draft.state == "rejected":
        raise EditRefused(f"draft {draft.id} was rejected; a rejected draft is never posted")
    scheduled = at is not None and at > now
    state = "scheduled" if scheduled else "approved"
    if not drafts.set_state(draft.id, state, via, who, now, expect=("draft", "scheduled"),
                            publish_at=at if scheduled else now, note=f"publish at {iso(at)}" if scheduled else ""):
        now_state = drafts.get(draft.id)
        if at is None and now_state.state in ("approved", "posted"):
            return now_state  # another tab or process approved it a moment ago: the same outcome
        raise EditRefused(f"draft {draft.id} changed meanwhile ({drafts.get(draft.id).state}); look again")
    draft = drafts.get(draft.id)
    write_record(draft)
    return draft


def publish_approved(draft: ReviewDraft, deps: Deps) -> PostedThread:
    """Publish an approved draft now, through the same claim and ledger as `bot post` (never twice)."""
    if draft.state not in ("approved", "scheduled", "posted"):
        raise PublishError(f"draft {draft.id} is {draft.state}, not approved", retryable=False)
    folder = output.prepare_dir(Path(draft.out_dir)) if draft.out_dir else Path(".")
    thread, posted = publish_entry(draft.entry, draft.feed, deps, folder)
    fresh = DraftStore(deps.db).get(draft.id)
    write_record(fresh, posted)
    return posted
