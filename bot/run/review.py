"""Review before posting: prepare a draft, edit it under the model's own checks, approve (publish exactly once) or reject.

Approving never posts by itself: it marks the entry "scheduled" at a time (now, or `--at`) and then, when that
time is now, runs the very `publish_entry` that `bot post` runs, under the same claim and ledger. If the process
dies half-way, the entry is still due, so the daemon (or a second approve) finishes the thread from the ledger.
The CLI and the web page both call these functions; `via` says which one ("cli" or "web").
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from bot.core.errors import BotError, PublishError
from bot.core.files import write_atomic
from bot.core.records import Entry, PostedThread, Thread, Tweet
from bot.feed import article as article_stage
from bot.output import record as output
from bot.output.preview import render_preview
from bot.run.pipeline import Deps, prepare
from bot.run.publishing import LABELS, publish_entry, thread_from_plan
from bot.state.drafts import DraftStore, entry_from_json, iso, network_threads
from bot.tweets.grounding import gate
from bot.tweets.hygiene import allowed_for, clean, normalize_url
from bot.tweets.entities import mention_or_list_entities
from bot.tweets.items import Item, find, permitted
from bot.networks.counters import article_for, counter_for, rule
from bot.tweets.length import X, Counter, is_valid, sanitize, urls

log = logging.getLogger(__name__)
ALT_MAX = 1000  # X's media metadata takes alt text up to 1000 characters (the design notes)


class EditRefused(BotError):
    """An edit failed the checks a model's tweet must pass; the message is the one line to show beside it."""

    exit_code = 2


def drafts_of(deps_or_store: Any) -> DraftStore:
    """The draft table of a store (or of a Deps' store)."""
    return DraftStore(getattr(deps_or_store, "store", None) or deps_or_store)


def review_info(draft: dict[str, Any]) -> dict[str, Any]:
    """A draft's review state as thread.json and `bot history` show it."""
    return {"id": draft["id"], "state": draft["state"], "via": draft["changed_via"], "by": draft["changed_by"],
            "at": iso(draft["updated_at"]), "publish_at": iso(draft.get("publish_at"))}


def prepare_draft(entry: Entry, feed: str, deps: Deps, out_dir: Path, via: str, who: str) -> dict[str, Any]:
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
        if not store.save_plan(feed, entry.key, output.thread_record(thread, feed=feed), first=True):
            # Another process (a second `bot post --draft`, the daemon) kept its thread first, and a reviewer may
            # have seen or edited it already: that one is the draft, this late one is dropped.
            log.info("%s: %s: another bot process prepared this entry's thread first; its draft stands", feed,
                     entry.title or entry.key)
    draft = drafts.create(entry, feed, str(out_dir), via, who, clock.time())
    write_record(draft)
    log.info("%s: draft %s waits for review: %s", feed, draft["id"], entry.title or entry.key)
    return draft


def write_record(draft: dict[str, Any], posted: PostedThread | None = None) -> None:
    """thread.json (with the review state) and preview.html in the draft's folder; a missing folder is skipped."""
    folder = Path(draft["out_dir"]) if draft.get("out_dir") else None
    if folder is None or not folder.is_dir() or not draft.get("plan"):
        return
    plan = dict(draft["plan"])
    record = {**plan, "review": review_info(draft)}
    if posted is not None:
        record["published"] = [p.item() for p in posted.published]
    try:
        write_atomic(folder / "thread.json", json.dumps(record, ensure_ascii=False, indent=2) + "\n")
        thread = draft_thread(draft)
        write_atomic(folder / "preview.html", render_preview(thread, posted))
    except OSError as exc:
        log.warning("cannot update %s: %s", folder, exc.strerror or exc)


def draft_thread(draft: dict[str, Any]) -> Thread:
    """The draft's X thread as a record (for drawing it); its image is the file in the draft's folder, if still there."""
    folder = Path(draft["out_dir"]) if draft.get("out_dir") else Path(".")
    # need_image=False: nothing is made again, so no dependencies are needed
    return thread_from_plan(draft["plan"], entry_from_json(draft["entry"]), None, folder, need_image=False)


def _mentions(text: str) -> list[str]:
    """Each @mention X links in `text` (bot.tweets.entities, twitter-text's rule), as written, without a list slug."""
    return [text[start:start + 1 + len(name)] for start, _end, name, _slug in mention_or_list_entities(text)]


def _removed(before: list[str], after: list[str]) -> list[str]:
    left = list(after)
    gone = []
    for item in before:
        if item in left:
            left.remove(item)
        else:
            gone.append(item)
    return gone


def network_name(network: str) -> str:
    """A network as a person reads it: "X", "Bluesky", "Mastodon" (publishing.LABELS)."""
    return LABELS.get(network, network)


def label(network: str, number: int) -> str:
    """How a message names one post: "tweet 2" on X, "Bluesky post 2", "Mastodon post 2"."""
    return f"tweet {number}" if network == "x" else f"{network_name(network)} post {number}"


def network_counter(draft: dict[str, Any], network: str) -> Counter:
    """How `network` measures the draft's posts: its limit and link count as the draft's plan saved them."""
    if network == "x":
        return X
    body = (draft["plan"].get("threads") or {}).get(network)
    if not isinstance(body, dict):
        raise EditRefused(f"draft {draft['id']} has no {network_name(network)} thread",
                          f"its threads: {', '.join(network_threads(draft['plan']))}")
    return counter_for(network, int(body.get("limit") or 0), int(body.get("url_weight") or 0))


def check_tweet(text: str, number: int, draft: dict[str, Any], network: str = "x") -> str:
    """The text as it will be posted, or EditRefused naming the one problem (length, foreign link or handle).

    Every network's post gets the checks a model's post gets (bot.tweets.hygiene), and its own network's count."""
    text = sanitize(text)
    name = label(network, number)
    counter = network_counter(draft, network)
    if not text.strip():
        raise EditRefused(f"{name} is empty; write something or keep the draft's text")
    article = article_for(network, article_stage.read_article(entry_from_json(draft["entry"])))
    # The same hygiene a model's tweet gets: whatever it strips as foreign is refused here, not silently cut.
    cleaned = clean(text, article, faithful=False).text  # a person's own words are theirs to vouch for
    placed = {normalize_url(u) for t in network_threads(draft["plan"]).get(network, []) for u in urls(t["text"])}
    _refuse_foreign(text, name, article, placed)
    foreign = [u for u in _removed(urls(text), urls(cleaned)) if normalize_url(u) not in placed]
    if foreign:
        raise EditRefused(f"{name} links to {foreign[0]}, which the article does not contain; remove the link")
    handles = _removed(_mentions(text), _mentions(cleaned))
    if handles:
        raise EditRefused(f"{name} mentions {handles[0]}, whom the article does not mention; remove the handle")
    # The same last gate every post passes: each sentence must stand on a passage of the article.
    body = text
    for url in urls(text):
        body = body.replace(url, " ")
    grounded = gate.ground(cleaned if cleaned.strip() else body, article)
    lost = [r for r in grounded.reasons if "sentence" in r]
    if lost:
        raise EditRefused(f"{name}: {lost[0]}; keep to what the article says")
    length = counter(text)
    if length > counter.limit:
        raise EditRefused(f"{name} is {length}/{counter.limit}: shorten it by {length - counter.limit} "
                          f"({rule(counter)})")
    if not is_valid(text, counter.measure, counter.limit):
        raise EditRefused(f"{name} has a character {network_name(network)} refuses "
                          "(U+FFFE, U+FEFF or U+FFFF); remove it")
    return text


def _refuse_foreign(text: str, name: str, article: Any, placed: set[str]) -> None:
    """EditRefused for the first address, handle or cashtag in `text` the article does not have (bot.tweets.items:
    `evil[.]com`, `hxxps://…`, an IP, `user@host` or `@user@instance`, `@name.domain`, `$TAG`), as hygiene would
    remove it from a model's post; the links already in the draft's own thread (the article's, with its UTM) stay."""
    allowed = allowed_for(article)
    for item in find(text):
        if permitted(item, allowed.urls, allowed.handles, allowed.cashtags):
            continue
        if item.kind == "url" and item.text.isascii() and normalize_url(item.text) in placed:
            continue
        raise EditRefused(f"{name} {_what(item)}")


def _what(item: Item) -> str:
    if item.kind == "handle":
        return f"mentions {item.text}, whom the article does not mention; remove the handle"
    if item.kind == "cashtag":
        return f"names the cashtag {item.text}, which the article does not have; remove it"
    if item.kind == "address" and "@" in item.text and "/" not in item.text:
        return f"gives the address {item.text}, which the article does not contain; remove it"
    return f"links to {item.text}, which the article does not contain; remove the link"


def alt_problem(alt: str, draft: dict[str, Any] | None = None) -> str:
    """Why this alt text cannot be used, or "" when it can; with the draft, also any address, handle or cashtag
    its article does not have (the alt text goes out on every network, held to the article as a post is)."""
    alt = " ".join(sanitize(alt).split())
    if not alt:
        return "the alt text is empty; describe the image for readers who cannot see it"
    if len(alt) > ALT_MAX:
        return f"the alt text is {len(alt)} characters; X takes at most {ALT_MAX}"
    if draft is not None:
        try:  # no network makes a mention or a link of an image description: the article's own rules
            article = article_stage.read_article(entry_from_json(draft["entry"]))
            _refuse_foreign(alt, "the alt text", article, set())
        except EditRefused as exc:
            return exc.message
        # The last gate, as for the model's alt text: every number, name and quote in it is the article's.
        lost = [r for r in gate.ground(alt, article, whole=True).reasons if "sentence" in r]
        if lost:
            return f"the alt text: {lost[0]}; keep to what the article says"
    return ""


def _editable(draft: dict[str, Any]) -> None:
    if draft["state"] != "draft":
        raise EditRefused(f"draft {draft['id']} is {draft['state']}; only a waiting draft can be edited")
    if draft["entry_row"].get("status") == "posted" or draft["entry_row"].get("claimed_by"):
        raise EditRefused(f"draft {draft['id']} is being published; it can no longer be edited")


def edit(store: Any, draft_id: int | str, via: str, who: str, now: float, *, tweet: int | None = None,
         text: str | None = None, alt: str | None = None, network: str = "x") -> dict[str, Any]:
    """Change one tweet's text and/or the alt text; each change passes the checks or nothing is saved."""
    drafts = drafts_of(store)
    draft = drafts.get(draft_id)
    _editable(draft)
    plan = dict(draft["plan"])
    notes = []
    if text is not None:
        counter = network_counter(draft, network)
        tweets = network_threads(plan).get(network, [])
        if tweet is None or not 1 <= tweet <= len(tweets):
            noun = label(network, 0)[:-2]
            raise EditRefused(f"there is no {noun} {tweet}: draft {draft['id']} has {noun}s 1 to {len(tweets)}")
        checked = check_tweet(text, tweet, draft, network)
        evidence = gate.ground(checked, article_for(network, article_stage.read_article(entry_from_json(draft["entry"])))).evidence
        tweets[tweet - 1] = {"text": checked, "weighted_length": counter(checked), "evidence": list(evidence)}
        if network == "x":
            plan["tweets"] = tweets
        body = (plan.get("threads") or {}).get(network)
        if isinstance(body, dict):  # a plan with a thread per network keeps X's there too: both stay the same
            plan["threads"] = {**plan["threads"], network: {**body, "tweets": tweets}}
        notes.append(f"edited {label(network, tweet)}")
    if alt is not None:
        alt = " ".join(sanitize(alt).split())
        problem = alt_problem(alt, draft)
        if problem:
            raise EditRefused(problem)
        plan["image"] = {**plan.get("image", {}), "alt_text": alt}
        notes.append("edited the alt text")
    if not notes:
        raise EditRefused("nothing to change: give --tweet N --text TEXT, or --alt TEXT")
    if not drafts.save_plan(draft["id"], plan):
        state = drafts.get(draft["id"])["state"]  # approved (or being published) since the check above
        raise EditRefused(f"draft {draft['id']} is {state} now (changed meanwhile); only a waiting draft can be edited")
    drafts.note(draft["id"], via, who, "; ".join(notes), now)
    draft = drafts.get(draft["id"])
    write_record(draft)
    return draft


def reject(store: Any, draft_id: int | str, via: str, who: str, now: float) -> dict[str, Any]:
    """Reject a waiting draft: it is never posted and never prepared again."""
    drafts = drafts_of(store)
    draft = drafts.get(draft_id)
    if draft["state"] == "rejected":
        return draft
    if not drafts.set_state(draft["id"], "rejected", via, who, now, expect=("draft", "scheduled")):
        state = drafts.get(draft["id"])["state"]
        raise EditRefused(f"draft {draft['id']} is {state} and its thread is being published or is on X already; "
                          "it can no longer be rejected")
    draft = drafts.get(draft["id"])
    write_record(draft)
    return draft


def approve(store: Any, draft_id: int | str, via: str, who: str, now: float, at: float | None = None) -> dict[str, Any]:
    """Approve a draft: due now, or scheduled for `at`; `publish_approved` (or the daemon) then publishes it."""
    drafts = drafts_of(store)
    draft = drafts.get(draft_id)
    if draft["state"] in ("approved", "posted") or (draft["state"] == "scheduled" and at is None and
                                                      (draft.get("publish_at") or 0) <= now):
        return draft  # approving twice changes nothing: the thread goes out once
    if draft["state"] == "rejected":
        raise EditRefused(f"draft {draft['id']} was rejected; a rejected draft is never posted")
    scheduled = at is not None and at > now
    state = "scheduled" if scheduled else "approved"
    if not drafts.set_state(draft["id"], state, via, who, now, expect=("draft", "scheduled"),
                            publish_at=at if scheduled else now, note=f"publish at {iso(at)}" if scheduled else ""):
        now_state = drafts.get(draft["id"])
        if at is None and now_state["state"] in ("approved", "posted"):
            return now_state  # another tab or process approved it a moment ago: the same outcome
        raise EditRefused(f"draft {draft['id']} changed meanwhile ({drafts.get(draft['id'])['state']}); look again")
    draft = drafts.get(draft["id"])
    write_record(draft)
    return draft


def publish_approved(draft: dict[str, Any], deps: Deps) -> PostedThread:
    """Publish an approved draft now, through the same claim and ledger as `bot post` (never twice)."""
    if draft["state"] not in ("approved", "scheduled", "posted"):
        raise PublishError(f"draft {draft['id']} is {draft['state']}, not approved", retryable=False)
    entry = entry_from_json(draft["entry"])
    folder = output.prepare_dir(Path(draft["out_dir"] or ".")) if draft["out_dir"] else Path(".")
    thread, posted = publish_entry(entry, draft["feed"], deps, folder)
    fresh = DraftStore(deps.db).get(draft["id"])
    write_record(fresh, posted)
    return posted


def tweets_of(draft: dict[str, Any], network: str = "x") -> list[Tweet]:
    """The draft's tweets for one network as records, each with its length as that network counts it."""
    counter = network_counter(draft, network)
    article = article_for(network, article_stage.read_article(entry_from_json(draft["entry"])))
    return [Tweet(gate.recheck(t["text"], article, counter), int(t.get("weighted_length") or counter(t["text"])),
                  tuple(t.get("evidence") or ()))
            for t in network_threads(draft["plan"]).get(network, [])]
