"""One poll of one feed: conditional GET, record new entries, apply the first-run policy, publish what is due."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, Callable

from . import feed as feed_stage
from . import output, policy
from .errors import BotError
from .pipeline import Deps

log = logging.getLogger("bot.poller")


def _fetch(url: str, deps: Deps, etag: str = "", last_modified: str = "") -> Any:
    f = deps.settings.feed
    return feed_stage.fetch(url, timeout=f.timeout, user_agent=f.user_agent, max_bytes=f.max_bytes,
                            etag=etag, last_modified=last_modified)


def entry_dir(out_root: Path, key: str) -> Path:
    """A folder name for one entry's files, from its key."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", key).strip("-.")[:80] or "entry"
    return out_root / slug


def poll_feed(url: str, deps: Deps, should_stop: Callable[[], bool], out_root: Path) -> int:
    """Poll one feed and publish its due entries; return how many threads were completed."""
    store, clock, settings = deps.store, deps.clock, deps.settings
    state = store.feed_state(url)
    result = _fetch(url, deps, state["etag"], state["last_modified"])
    for warning in result.warnings:
        log.warning("%s: %s", url, warning)
    now = clock.time()
    if not result.not_modified:
        entries = list(result.entries)
        if not state["first_poll_done"]:
            post = set(policy.backlog_to_post([e.key for e in entries], settings.daemon.backlog, settings.daemon.backlog_count))
            store.upsert_entries(url, [e for e in entries if e.key in post], "new", now)
            skipped = store.upsert_entries(url, [e for e in entries if e.key not in post], "skipped", now)
            if skipped:
                log.info("%s: first poll; %d existing entries recorded, not posted (daemon.backlog = %s)",
                         url, len(skipped), settings.daemon.backlog)
        else:
            new = store.upsert_entries(url, entries, "new", now)
            if new:
                log.info("%s: %d new entries", url, len(new))
        # Validators are saved only once the entries are in the store: a crash before this refetches them.
        store.save_feed_state(url, result.etag, result.last_modified, now)
    due = store.due(url, now, settings.daemon.max_attempts)
    if not due:
        return 0
    by_key = {e.key: e for e in result.entries}
    if any(row["key"] not in by_key for row in due):
        by_key = {e.key: e for e in _fetch(url, deps).entries}  # a 304 carries no entries: fetch them in full
    posted = 0
    for row in due:
        if should_stop():
            log.info("stop requested: leaving the remaining entries for the next start")
            break
        if not _may_post(deps):
            break
        entry = by_key.get(row["key"])
        if entry is None:
            log.warning("%s: entry %s is no longer in the feed; skipped", url, row["key"])
            store.set_status(url, row["key"], "gone", now)
            continue
        posted += _publish_one(entry, url, deps, out_root)
    return posted


def _may_post(deps: Deps) -> bool:
    settings, clock = deps.settings, deps.clock
    now = clock.now()
    if not policy.in_window(settings.daemon.window, now):
        log.info("outside the posting window %s UTC: entries wait", settings.daemon.window)
        return False
    cap = settings.daemon.daily_cap
    if cap and deps.store.threads_since(policy.day_start(now)) >= cap:
        log.info("daily cap of %d threads reached: entries wait until tomorrow (UTC)", cap)
        return False
    return True


def _publish_one(entry: Any, url: str, deps: Deps, out_root: Path) -> int:
    from .publishing import publish_entry

    out_dir = output.prepare_dir(entry_dir(out_root, entry.key))
    try:
        thread, posted = publish_entry(entry, url, deps, out_dir)
    except BotError as exc:
        log.error("%s: %s: %s", url, entry.title or entry.key, exc)
        return 0
    output.write(out_dir, thread, posted, feed=url)
    ids = ", ".join(p.tweet_id for p in posted.published)
    log.info("%s: %s %s (tweet ids: %s)", url, "posted" if posted.complete else "partly posted", entry.title, ids)
    for note in posted.notes:
        log.warning("%s: %s", entry.title, note)
    return 1 if posted.complete else 0
