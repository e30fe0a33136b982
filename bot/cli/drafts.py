"""`bot drafts`: list, show, edit, approve and reject the drafts waiting for review (review.mode = approve)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bot.core.clock import SystemClock
from bot.core.errors import BotError, ConfigError
from bot.core.settings import Settings
from bot.run import review, wiring
from bot.run.notify import notify_waiting
from bot.state.drafts import WAITING, entry_from_json, iso, network_threads
from bot.state.store import Store

VIA = "cli"


def open_store(settings: Settings) -> Store:
    """The store named by DATABASE_URL, else the SQLite file."""
    return Store.open(settings.secrets.get("DATABASE_URL") or None, settings)


def who() -> str:
    """The local user who ran the command, for the draft's history."""
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no user name in a bare container: the command line is still a fact worth keeping
        return "cli"


def x_post_url(tweet_id: str) -> str:
    """A link to a post on X by its id (X resolves the account)."""
    return f"https://x.com/i/status/{tweet_id}"


def as_json(draft: dict[str, Any]) -> dict[str, Any]:
    """One draft as `bot drafts --json` prints it."""
    entry = entry_from_json(draft["entry"])
    plan = draft["plan"]
    threads = network_threads(plan)
    published = draft.get("published") or []
    return {"id": draft["id"], "title": entry.title, "link": entry.link, "created": iso(draft["created_at"]),
            "state": draft["state"], "feed": draft["feed"], "key": draft["entry_key"],
            "tweets": [{"text": t["text"], "weighted_length": t["weighted_length"]} for t in threads.get("x", [])],
            "threads": {n: [{"text": t["text"], "weighted_length": t["weighted_length"]} for t in ts]
                        for n, ts in threads.items()},
            "alt_text": (plan.get("image") or {}).get("alt_text", ""), "publish_at": iso(draft.get("publish_at")),
            "changed_via": draft["changed_via"], "changed_by": draft["changed_by"], "updated": iso(draft["updated_at"]),
            "published": published}


def _with_published(store: Any, draft: dict[str, Any]) -> dict[str, Any]:
    published = []
    for network in network_threads(draft["plan"]):
        done = store.ledger(draft["feed"], draft["entry_key"], network=network).done()
        published += [{"position": p, "tweet_id": t.tweet_id, "network": network} for p, t in sorted(done.items())]
    draft["published"] = published
    return draft


def list_command(settings: Settings, *, json_out: bool, everything: bool) -> int:
    """`bot drafts`: the drafts waiting (or every draft with --all); creates no state when there is none."""
    store = Store.open_existing(settings.secrets.get("DATABASE_URL") or None, settings)
    if store is None:
        print("[]" if json_out else "no drafts: nothing recorded yet (run `bot run --once` or `bot post` first)")
        return 0
    try:
        states = ("draft", "approved", "scheduled", "rejected", "posted") if everything else WAITING
        drafts = [_with_published(store, d) for d in review.drafts_of(store).listing(states)]
    finally:
        store.close()
    if json_out:
        print(json.dumps([as_json(d) for d in drafts], ensure_ascii=False, indent=2))
        return 0
    if not drafts:
        mode = settings.review.mode
        print("no drafts waiting" + ("" if mode == "approve" else " (review.mode is auto: set BOT_REVIEW_MODE=approve, "
                                     "or use `bot post --draft`)"))
        return 0
    for d in drafts:
        j = as_json(d)
        when = f" · publish at {j['publish_at']}" if d["state"] == "scheduled" else ""
        print(f"{d['id']:>4}  {d['state']:<9}  {j['created'][:16].replace('T', ' ')}  {j['title'][:70]}{when}")
    return 0


def show_command(settings: Settings, draft_id: str) -> int:
    """`bot drafts show ID`: the thread with each tweet's weighted length, the alt text and the draft's history."""
    store = open_store(settings)
    try:
        drafts = review.drafts_of(store)
        draft = _with_published(store, drafts.get(draft_id))
        events = drafts.events(draft["id"])
    finally:
        store.close()
    j = as_json(draft)
    print(f"draft {j['id']} · {j['state']} · {j['title']}")
    print(j["link"])
    limits = {n: review.network_counter(draft, n).limit for n in j["threads"]}
    for network, tweets in j["threads"].items():
        if len(j["threads"]) > 1:
            print(f"=== {review.network_name(network)} ({len(tweets)} posts, at most {limits[network]} each)")
        ids = {p["position"]: p.get("tweet_id") or p["id"] for p in j["published"] if p.get("network", "x") == network}
        for n, t in enumerate(tweets, 1):
            where = f" · posted {x_post_url(ids[n])}" if n in ids and network == "x" else f" · posted {ids[n]}" if n in ids else ""
            print(f"--- {review.label(network, n).capitalize()}/{len(tweets)} · {t['weighted_length']}/{limits[network]}{where}")
            print(t["text"])
    print("---")
    print(f"alt text: {j['alt_text']}")
    for e in events:
        print(f"  {iso(e['at'])}  {e['state']:<9} via {e['via']}" + (f" by {e['who']}" if e["who"] else "")
              + (f": {e['note']}" if e["note"] else ""))
    return 0


def edit_command(settings: Settings, draft_id: str, tweet: int | None, text: str | None, alt: str | None,
                 network: str = "x") -> int:
    """`bot drafts edit ID [--network NAME] --tweet N --text TEXT | --alt TEXT`: refused with one line when a check fails."""
    if text is not None and tweet is None:
        raise ConfigError("--text needs --tweet N", "say which tweet: bot drafts edit ID --tweet 2 --text '...'")
    store = open_store(settings)
    try:
        draft = review.edit(store, draft_id, VIA, who(), SystemClock().time(), tweet=tweet, text=text, alt=alt,
                            network=network)
    finally:
        store.close()
    if text is not None:
        assert tweet is not None
        t = network_threads(draft["plan"])[network][tweet - 1]
        limit = review.network_counter(draft, network).limit
        print(f"draft {draft['id']}: {review.label(network, tweet)} saved ({t['weighted_length']}/{limit})")
    if alt is not None:
        print(f"draft {draft['id']}: alt text saved")
    return 0


def parse_at(value: str) -> float:
    """An ISO-8601 time (UTC when it names no zone) as an epoch second."""
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"--at {value!r} is not an ISO-8601 time", "write it like 2026-12-01T18:30:00+00:00") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()


def approve_command(settings: Settings, draft_id: str, at: str | None) -> int:
    """`bot drafts approve ID [--at ISO]`: publish now (exactly once), or leave it to the daemon at that time."""
    clock = SystemClock()
    when = parse_at(at) if at else None
    store = open_store(settings)
    try:
        later = when is not None and when > clock.time()
        deps = None if later else wiring.build(settings, dry_run=False, clock=clock, store=store)  # credentials first
        draft = review.approve(store, draft_id, VIA, who(), clock.time(), at=when)
        if draft["state"] == "scheduled":
            print(f"draft {draft['id']} approved: the daemon (`bot run`) publishes it at {iso(draft['publish_at'])}")
            return 0
        if draft["state"] == "posted":
            _print_posted(store, draft, "was already published")
            return 0
        assert deps is not None
        posted = review.publish_approved(draft, deps)
        _print_posted(store, review.drafts_of(store).get(draft["id"]), "published" if posted.complete else "partly published")
        return 0 if posted.complete else 1
    finally:
        store.close()


def _print_posted(store: Any, draft: dict[str, Any], what: str) -> None:
    posted = _with_published(store, draft)["published"]
    networks = list(dict.fromkeys(p["network"] for p in posted)) or ["x"]
    names = [review.network_name(n) for n in networks]
    print(f"draft {draft['id']} {what}: {len(posted)} post(s) on {', '.join(names)}")
    for p in posted:
        where = x_post_url(p["tweet_id"]) if p["network"] == "x" else p["network"]
        print(f"  {p['position']}: {p['tweet_id']}  {where}")


def reject_command(settings: Settings, draft_id: str) -> int:
    """`bot drafts reject ID`: never posted, never prepared again."""
    store = open_store(settings)
    try:
        draft = review.reject(store, draft_id, VIA, who(), SystemClock().time())
    finally:
        store.close()
    print(f"draft {draft['id']} rejected: it will not be posted or prepared again")
    return 0


def draft_post(settings: Settings, entry: Any, source: str, deps: Any, out_dir: Path) -> dict[str, Any]:
    """`bot post --draft`: prepare the entry as a draft (publishing nothing), and announce it."""
    draft = review.prepare_draft(entry, source, deps, out_dir, VIA, who())
    if draft["state"] == "rejected":
        raise BotError(f"this entry's draft {draft['id']} was rejected; it is not prepared again")
    notify_waiting(settings, deps.db, deps.clock.time())
    return draft
