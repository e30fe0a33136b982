"""`bot drafts`: list, show, edit, approve and reject the drafts waiting for review (review.mode = approve)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TypedDict

from bot.core.clock import SystemClock
from bot.core.errors import ConfigError
from bot.core.records import PRIMARY, PublishedTweet
from bot.core.settings import Settings
from bot.networks import registry
from bot.run import review, service
from bot.state.drafts import WAITING, ReviewDraft, iso
from bot.state.store import Store

VIA = "cli"


class PostJson(TypedDict):
    text: str
    weighted_length: int


class PublishedJson(TypedDict):
    position: int
    tweet_id: str
    network: str


class DraftJson(TypedDict):
    """One draft as `bot drafts --json` prints it."""

    id: int
    title: str
    link: str
    created: str | None
    state: str
    feed: str
    key: str
    tweets: list[PostJson]  # the primary network's (X's) thread
    threads: dict[str, list[PostJson]]
    alt_text: str
    publish_at: str | None
    changed_via: str
    changed_by: str
    updated: str | None
    published: list[PublishedJson]


def who() -> str:
    """The local user who ran the command, for the draft's history."""
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no user name in a bare container: the command line is still a fact worth keeping
        return "cli"


def primary_post_url(tweet_id: str) -> str:
    """A link to a post of the primary network (X) by its id (its descriptor's post_link)."""
    return registry.primary().post_link(tweet_id, "")[1]


def as_json(draft: ReviewDraft, published: list[tuple[str, PublishedTweet]]) -> DraftJson:
    """One draft as `bot drafts --json` prints it (`published`: service.published)."""
    plan = draft.saved
    threads = {n: [PostJson(text=t.text, weighted_length=t.weighted_length) for t in plan.posts(n)] for n in plan.names()}
    return {"id": draft.id, "title": draft.entry.title, "link": draft.entry.link, "created": iso(draft.created_at),
            "state": draft.state, "feed": draft.feed, "key": draft.entry_key,
            "tweets": threads.get(PRIMARY, []), "threads": threads,
            "alt_text": plan.image.alt_text, "publish_at": iso(draft.publish_at),
            "changed_via": draft.changed_via, "changed_by": draft.changed_by, "updated": iso(draft.updated_at),
            "published": [PublishedJson(position=p.position, tweet_id=p.tweet_id, network=n) for n, p in published]}


def _as_json(store: Store, draft: ReviewDraft) -> DraftJson:
    return as_json(draft, service.published(store, draft))


def list_command(settings: Settings, *, json_out: bool, everything: bool, publication: str = "") -> int:
    """`bot drafts`: the drafts waiting (or every draft with --all; of one publication); creates no state."""
    feeds = set(settings.of_publication(publication).feed.urls) if publication else None
    store = service.read_store(settings)
    if store is None:
        print("[]" if json_out else "no drafts: nothing recorded yet (run `bot run --once` or `bot post` first)")
        return 0
    try:
        states = ("draft", "approved", "scheduled", "rejected", "posted") if everything else WAITING
        drafts = [_as_json(store, d) for d in service.drafts(store, states, feeds)]
    finally:
        store.close()
    if json_out:
        print(json.dumps(drafts, ensure_ascii=False, indent=2))
        return 0
    if not drafts:
        mode = settings.review.mode
        print("no drafts waiting" + ("" if mode == "approve" else " (review.mode is auto: set BOT_REVIEW_MODE=approve, "
                                     "or use `bot post --draft`)"))
        return 0
    for j in drafts:
        when = f" · publish at {j['publish_at']}" if j["state"] == "scheduled" else ""
        print(f"{j['id']:>4}  {j['state']:<9}  {(j['created'] or '')[:16].replace('T', ' ')}  {j['title'][:70]}{when}")
    return 0


def show_command(settings: Settings, draft_id: str) -> int:
    """`bot drafts show ID`: the thread with each tweet's weighted length, the alt text and the draft's history."""
    store = service.open_store(settings)
    try:
        draft = service.find_draft(store, draft_id)
        j = _as_json(store, draft)
        events = service.draft_events(store, draft.id)
    finally:
        store.close()
    print(f"draft {j['id']} · {j['state']} · {j['title']}")
    print(j["link"])
    limits = {n: review.network_counter(draft, n).limit for n in j["threads"]}
    for network, tweets in j["threads"].items():
        if len(j["threads"]) > 1:
            print(f"=== {review.network_name(network)} ({len(tweets)} posts, at most {limits[network]} each)")
        ids = {p["position"]: p["tweet_id"] for p in j["published"] if p["network"] == network}
        for n, t in enumerate(tweets, 1):
            where = f" · posted {primary_post_url(ids[n])}" if n in ids and network == PRIMARY else f" · posted {ids[n]}" if n in ids else ""
            print(f"--- {review.label(network, n).capitalize()}/{len(tweets)} · {t['weighted_length']}/{limits[network]}{where}")
            print(t["text"])
    print("---")
    print(f"alt text: {j['alt_text']}")
    for e in events:
        print(f"  {iso(e['at'])}  {e['state']:<9} via {e['via']}" + (f" by {e['who']}" if e["who"] else "")
              + (f": {e['note']}" if e["note"] else ""))
    return 0


def edit_command(settings: Settings, draft_id: str, tweet: int | None, text: str | None, alt: str | None,
                 network: str = PRIMARY) -> int:
    """`bot drafts edit ID [--network NAME] --tweet N --text TEXT | --alt TEXT`: refused with one line when a check fails."""
    if text is not None and tweet is None:
        raise ConfigError("--text needs --tweet N", "say which tweet: bot drafts edit ID --tweet 2 --text '...'")
    store = service.open_store(settings)
    try:
        draft = service.edit(store, SystemClock(), draft_id, VIA, who(), tweet=tweet, text=text, alt=alt,
                             network=network)
    finally:
        store.close()
    if text is not None:
        assert tweet is not None
        t = draft.saved.posts(network)[tweet - 1]
        limit = review.network_counter(draft, network).limit
        print(f"draft {draft.id}: {review.label(network, tweet)} saved ({t.weighted_length}/{limit})")
    if alt is not None:
        print(f"draft {draft.id}: alt text saved")
    return 0


def parse_at(value: str) -> float:
    """An ISO-8601 time (UTC when it names no zone) as an epoch second."""
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"--at {value!r} is not an ISO-8601 time", "write it like 2026-12-01T18:30:00+00:00") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def approve_command(settings: Settings, draft_id: str, at: str | None) -> int:
    """`bot drafts approve ID [--at ISO]`: publish now (exactly once), or leave it to the daemon at that time."""
    when = parse_at(at) if at else None
    store = service.open_store(settings)
    try:
        done = service.approve(settings, store, SystemClock(), draft_id, VIA, who(), at=when)
        draft = done.draft
        if done.posted is None and draft.state == "scheduled":
            print(f"draft {draft.id} approved: the daemon (`bot run`) publishes it at {iso(draft.publish_at)}")
            return 0
        if done.posted is None:
            _print_posted(store, draft, "was already published")
            return 0
        _print_posted(store, draft, "published" if done.posted.complete else "partly published")
        return 0 if done.posted.complete else 1
    finally:
        store.close()


def _print_posted(store: Store, draft: ReviewDraft, what: str) -> None:
    posted = service.published(store, draft)
    networks = list(dict.fromkeys(n for n, _ in posted)) or [PRIMARY]
    names = [review.network_name(n) for n in networks]
    print(f"draft {draft.id} {what}: {len(posted)} post(s) on {', '.join(names)}")
    for n, p in posted:
        where = primary_post_url(p.tweet_id) if n == PRIMARY else n
        print(f"  {p.position}: {p.tweet_id}  {where}")


def reject_command(settings: Settings, draft_id: str) -> int:
    """`bot drafts reject ID`: never posted, never prepared again."""
    store = service.open_store(settings)
    try:
        draft = service.reject(store, SystemClock(), draft_id, VIA, who())
    finally:
        store.close()
    print(f"draft {draft.id} rejected: it will not be posted or prepared again")
    return 0
