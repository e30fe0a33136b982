"""One poll of one feed: conditional GET, record new entries, apply the first-run policy, publish what is due."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.core.errors import BotError, ClaimLost, clip
from bot.core.records import Entry, FeedResult
from bot.feed import source as feed_stage
from bot.networks import registry
from bot.output import record as output
from bot.run import review
from bot.run.lease import Heartbeat
from bot.run.pipeline import Deps
from bot.run.publishing import OWNER, ClaimHeld, holder_gone, in_hand, publish_entry
from bot.state import ledger, policy
from bot.state.ledger import Claim

log = logging.getLogger(__name__)


def _fetch(url: str, deps: Deps, etag: str = "", last_modified: str = "") -> FeedResult:
    f = deps.settings.feed
    return feed_stage.fetch(url, timeout=f.timeout, user_agent=f.user_agent, max_bytes=f.max_bytes,
                            etag=etag, last_modified=last_modified)


def entry_dir(out_root: Path, key: str) -> Path:
    """A folder name for one entry's files, from its key."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", key).strip("-.")[:80] or "entry"
    return out_root / slug


class EntriesFailed(BotError):
    """The poll ran to its end, but an entry failed to publish: the poll counts as failed (exit 1, heartbeat)."""


def poll_feed(url: str, deps: Deps, should_stop: Callable[[], bool], out_root: Path) -> int:
    """Poll one feed (of the publication whose settings `deps` holds) and publish its due entries; return how many
    threads were completed. Only while this worker holds the feed's claim: another worker polling it now is left to.

    EntriesFailed after the last entry when any entry failed (one waiting for X's budget did not fail).
    """
    store, lease, publication = deps.db, float(deps.settings.store.lease_seconds), deps.settings.publication
    if not ledger.claim_feed(store, url, publication, OWNER, lease, deps.clock.time()):
        holder = store.feed_state(url).get("claimed_by") or ""
        if not holder_gone(holder):
            log.info("%s: another bot worker is polling this feed; left to it", url)
            return 0
        log.warning("%s: taking over the feed from a worker that is gone (%s)", url, holder)
        ledger.release_feed(store, url, holder)
        if not ledger.claim_feed(store, url, publication, OWNER, lease, deps.clock.time()):
            return 0
    try:
        return _poll(url, deps, should_stop, out_root)
    finally:
        ledger.release_feed(store, url, OWNER)


def _poll(url: str, deps: Deps, should_stop: Callable[[], bool], out_root: Path) -> int:
    store, clock, settings = deps.db, deps.clock, deps.settings
    publication = settings.publication
    state = store.feed_state(url)
    result = _fetch(url, deps, state["etag"], state["last_modified"])
    for warning in result.warnings:
        log.warning("%s: %s", url, warning)
    now = clock.time()
    if not result.not_modified:
        entries = list(result.entries)
        if not state["first_poll_done"]:
            post = set(policy.backlog_to_post([e.key for e in entries], settings.daemon.backlog, settings.daemon.backlog_count))
            store.upsert_entries(url, [e for e in entries if e.key in post], "new", now, publication)
            skipped = store.upsert_entries(url, [e for e in entries if e.key not in post], "skipped", now, publication)
            if skipped:
                log.info("%s: first poll; %d existing entries recorded, not posted (daemon.backlog = %s)",
                         url, len(skipped), settings.daemon.backlog)
        else:
            new = store.upsert_entries(url, entries, "new", now, publication)
            if new:
                log.info("%s: %d new entries", url, len(new))
        # Validators are saved only once the entries are in the store: a crash before this refetches them.
        store.save_feed_state(url, result.etag, result.last_modified, now)
    else:  # 304: the same validators, but the poll happened (/healthz reads its time)
        store.save_feed_state(url, state["etag"], state["last_modified"], now)
    due = store.due(url, now, settings.daemon.max_attempts)
    if not due:
        return 0
    by_key = {e.key: e for e in result.entries}
    if any(row["key"] not in by_key for row in due):
        by_key = {e.key: e for e in _fetch(url, deps).entries}  # a 304 carries no entries: fetch them in full
    posted, said_why = 0, False
    failed: list[str] = []
    drafts = review.drafts_of(store)
    for row in due:
        if should_stop():
            log.info("stop requested: leaving the remaining entries for the next start")
            break
        draft = drafts.for_entry(url, row["key"])
        started = any(store.ledger(url, row["key"], network=name, account=settings.account(name)).done()
                      for name, _ in deps.networks())
        if draft is None and settings.review.mode == "approve" and not started:
            entry = by_key.get(row["key"])
            if entry is not None:
                _draft_one(entry, url, deps, out_root, failed)
            continue
        if draft is not None and draft.state in ("draft", "rejected"):
            continue  # waits for a reviewer, or never goes out
        # A thread already out in part (on any network) is finished whatever the window or cap: half a thread is worse.
        if not started:
            why = _why_not_now(deps)  # again for each entry: the thread just posted may have reached the cap
            if why:
                if not said_why:
                    log.info("%s: %s", url, why)
                said_why = True
                continue
        if (store.entry(url, row["key"]) or {}).get("status") == "posted":
            continue  # another process (an overlapping deploy, cron) finished it since `due` was read
        entry = by_key.get(row["key"]) or (draft.entry if draft else None)
        if entry is None:
            log.warning("%s: entry %s is no longer in the feed; skipped", url, row["key"])
            store.set_status(url, row["key"], "gone", now)
            continue
        posted += _publish_one(entry, url, deps, out_root, should_stop, failed)
    if failed:
        raise EntriesFailed(f"{len(failed)} entr{'y' if len(failed) == 1 else 'ies'} failed to publish: "
                            + clip("; ".join(failed), 300), "the lines above say why; `bot history` lists them")
    return posted


def _draft_one(entry: Entry, url: str, deps: Deps, out_root: Path, failed: list[str]) -> None:
    """review.mode = approve: prepare the entry's thread as a draft under the entry's claim; publish nothing."""
    with in_hand(url, entry.key) as mine:
        if mine:  # else another thread of this process (an /api/poll beside the daemon) is preparing it
            _prepare_draft(entry, url, deps, out_root, failed)


def _prepare_draft(entry: Entry, url: str, deps: Deps, out_root: Path, failed: list[str]) -> None:
    store, clock = deps.db, deps.clock
    lease = float(deps.settings.store.lease_seconds)
    token = store.claim(url, entry.key, OWNER, lease, clock.time())
    if not token:
        return  # another process is preparing it
    status, error, retry_at = "draft", "", None
    # Renewed while the model writes, so a slow model does not let another process write (and pay for) it again.
    heartbeat = Heartbeat(store, url, entry.key, Claim(OWNER, int(token), lease), clock).start()
    try:
        review.prepare_draft(entry, url, deps, output.prepare_dir(entry_dir(out_root, entry.key)), "daemon", OWNER)
    except BotError as exc:
        status, error = "failed", str(exc)
        attempts = (store.entry(url, entry.key) or {}).get("attempts", 0) + 1
        retry_at = policy.next_attempt(attempts, deps.settings.daemon.retry_backoff, clock.time())
        log.error("%s: %s: could not prepare a draft: %s", url, entry.title or entry.key, exc)
        failed.append(entry.title or entry.key)
    finally:
        heartbeat.stop()
        store.release(url, entry.key, OWNER, status, clock.time(), error=error, next_attempt=retry_at,
                      count_attempt=status == "failed", token=int(token))


def _why_not_now(deps: Deps) -> str:
    """Why a new thread may not start now (posting window in the publication's time zone; the daily cap and the
    spacing of each of its network accounts, which publications sharing an account share), or "" when it may."""
    settings, d = deps.settings, deps.settings.daemon
    zone = ZoneInfo(d.timezone) if d.timezone else UTC
    now = deps.clock.now().astimezone(zone)
    if not policy.in_window(d.window, now):
        return f"outside the posting window {d.window} {d.timezone or 'UTC'}: entries wait"
    if not (d.daily_cap or d.spacing):
        return ""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    for network in settings.networks:
        account = settings.account(network)
        today = ledger.account_threads(deps.db, network, account, day)[0] if d.daily_cap else 0
        last = ledger.account_threads(deps.db, network, account, deps.clock.time() - d.spacing)[1] if d.spacing else None
        where = f"{registry.name(network)} account {account}"
        if d.daily_cap and today >= d.daily_cap:
            return f"daily cap of {d.daily_cap} threads reached on {where}: entries wait until tomorrow ({d.timezone or 'UTC'})"
        if d.spacing and last is not None and deps.clock.time() - last < d.spacing:
            return f"{where} started a thread {deps.clock.time() - last:.0f} s ago (daemon.spacing = {d.spacing}): entries wait"
    return ""


def _publish_one(entry: Entry, url: str, deps: Deps, out_root: Path, should_stop: Callable[[], bool],
                 failed: list[str]) -> int:
    """Publish one entry and say on one line what became of it; 1 when its thread is complete.

    An entry that failed (not one waiting for X's budget or rate limit) is added to `failed` by name.
    """
    out_dir = output.prepare_dir(entry_dir(out_root, entry.key))
    name = entry.title or entry.key
    try:
        thread, posted = publish_entry(entry, url, deps, out_dir, should_stop=should_stop)
    except ClaimHeld:
        # Two workers overlapping (a deploy, cron and the daemon) is normal: the other one posts it.
        log.info("%s: %s: another bot process is publishing it; left to that process", url, name)
        return 0
    except ClaimLost as exc:  # taken over while this process waited past its lease: the holder finishes it
        log.warning("%s: %s: %s", url, name, exc.message)
        return 0
    except BotError as exc:
        if _report_failure(url, entry, deps, exc):
            failed.append(name)
        return 0
    output.write(out_dir, thread, posted, feed=url, names=registry.display_names(), publication=deps.settings.publication,
                 accounts={n: deps.settings.account(n) for n in deps.settings.networks})
    ids = ", ".join(p.tweet_id for p in posted.published)
    if posted.complete:
        log.info("%s: posted %s (tweet ids: %s)", url, name, ids)
    elif should_stop():
        log.info("%s: stopped %s after %d of its posts (tweet ids: %s); the next poll finishes it", url, name,
                 len(posted.published), ids)
    else:
        log.warning("%s: partly posted %s (tweet ids: %s): %s; `bot retry %s` resumes it", url, name, ids,
                    "; ".join(posted.notes), entry.key)
    return 1 if posted.complete else 0


def _report_failure(url: str, entry: Entry, deps: Deps, exc: BotError) -> bool:
    """One line on a failed entry: when it waits for X, when it is retried, or that it was given up.

    False when the entry only waits for X (no attempt used), True when it failed.
    """
    row = deps.db.entry(url, entry.key) or {}
    name, status = entry.title or entry.key, row.get("status", "")
    when = _stamp(row.get("next_attempt"))
    if status == "waiting":
        log.info("%s: %s waits for X (%s); next try at %s (no attempt used)", url, name, exc.message, when)
        return False
    if status == "failed" and row.get("attempts", 0) >= deps.settings.daemon.max_attempts:
        log.error("%s: gave up on %s after %d attempts: %s; `bot retry %s` tries again", url, name,
                  row.get("attempts", 0), exc, entry.key)
    elif status == "failed" and row.get("next_attempt"):
        log.error("%s: %s: %s (attempt %d of %d; next try at %s)", url, name, exc, row.get("attempts", 0),
                  deps.settings.daemon.max_attempts, when)
    else:
        log.error("%s: %s: %s", url, name, exc)
    return True


def _stamp(epoch: float | None) -> str:
    """An epoch second as a short UTC time for a log line."""
    if not epoch:
        return "the next poll"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
