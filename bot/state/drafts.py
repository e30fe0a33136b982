"""Drafts waiting for review, in the same store as the entries: one per entry, its thread kept in the entry's plan.

A draft's thread is the entry's `plan` (the record `publish_entry` resumes from, `core.records.Plan`), so what a
reviewer approves is exactly what is posted; every network's thread is held in it alike. A draft is read as a
`ReviewDraft`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypedDict

from bot.core.errors import BotError, clip
from bot.core.records import Entry, Plan
from bot.state.database import guard as _guard
from bot.state.schema import EntryRow
from bot.state.store import Store

if TYPE_CHECKING:
    from sqlalchemy import RowMapping

WAITING = ("draft", "scheduled", "approved")  # what `bot drafts` lists by default
# The entry's status that goes with each review state: the poller only takes up "scheduled" (when due).
ENTRY_STATUS = {"draft": "draft", "approved": "scheduled", "scheduled": "scheduled", "rejected": "declined"}


class DraftNotFound(BotError):
    """No draft has that id."""


def entry_json(entry: Entry) -> str:
    """An Entry as JSON, kept with its draft."""
    return json.dumps({"feed": entry.feed, "key": entry.key, "guid": entry.guid, "link": entry.link,
                       "title": entry.title, "subtitle": entry.subtitle, "author": entry.author,
                       "published": entry.published.isoformat() if entry.published else None,
                       "html": entry.html, "cover_url": entry.cover_url, "publication": entry.publication,
                       "language": entry.language, "paywalled": entry.paywalled}, ensure_ascii=False)


def entry_from_json(text: str) -> Entry:
    """The Entry a draft kept."""
    d = json.loads(text)
    published = datetime.fromisoformat(d["published"]) if d.get("published") else None
    return Entry(d["feed"], d["key"], d.get("guid", ""), d.get("link", ""), d.get("title", ""), d.get("subtitle", ""),
                 d.get("author", ""), published, d.get("html", ""), d.get("cover_url", ""), d.get("publication", ""),
                 d.get("language", ""), bool(d.get("paywalled", False)))


def iso(epoch: float | None) -> str | None:
    """An epoch second as ISO-8601 UTC."""
    return datetime.fromtimestamp(epoch, UTC).isoformat() if epoch else None


class DraftEvent(TypedDict):
    """One change of a draft (a row of draft_events)."""

    state: str
    via: str  # "cli", "web", "daemon"
    who: str
    note: str
    at: float


class DraftState(TypedDict):
    """A draft's state and its last change, as `bot history` shows it."""

    id: int
    feed: str
    entry_key: str
    state: str
    changed_via: str
    changed_by: str
    updated_at: float


@dataclass(frozen=True)
class ReviewDraft:
    """One draft waiting for (or past) review: its row, the entry it kept, and the entry's plan."""

    id: int
    feed: str
    entry_key: str
    state: str  # schema.DRAFT_STATES
    entry: Entry
    out_dir: str
    changed_via: str
    changed_by: str
    created_at: float
    updated_at: float
    publish_at: float | None
    plan: Plan | None  # None only when the entry's plan is gone (it never is while the draft lives)
    entry_row: EntryRow  # the entry's row in the store: its status and claim

    @property
    def saved(self) -> Plan:
        """The draft's plan; DraftNotFound when it has none (a store edited by hand)."""
        if self.plan is None:
            raise DraftNotFound(f"draft {self.id} has no thread saved", "`bot drafts` lists the drafts waiting")
        return self.plan


class DraftStore:
    """Drafts and their history of changes; every method commits before it returns."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @_guard
    def create(self, entry: Entry, feed: str, out_dir: str, via: str, who: str, now: float) -> ReviewDraft:
        """Store a new draft for the entry (its plan is saved already); an existing draft is returned unchanged."""
        from sqlalchemy import text
        from sqlalchemy.exc import IntegrityError

        for _ in range(5):  # ids are MAX+1: two writers at once may collide on the id, then one tries again
            try:
                with self.store.engine.begin() as conn:
                    won = conn.execute(text(
                        """INSERT INTO drafts (id, feed, entry_key, state, entry, out_dir, changed_via, changed_by,
                                               created_at, updated_at)
                           SELECT COALESCE(MAX(id), 0) + 1, :f, :k, 'draft', :e, :o, :v, :w, :n, :n FROM drafts WHERE 1 = 1
                           ON CONFLICT (feed, entry_key) DO NOTHING RETURNING id"""),
                        dict(f=feed, k=entry.key, e=entry_json(entry), o=out_dir, v=via, w=who, n=now)).first()
                    if won is not None:
                        conn.execute(text("""INSERT INTO draft_events (draft_id, state, via, who, note, at)
                                             VALUES (:i, 'draft', :v, :w, 'prepared', :n)"""),
                                     dict(i=won[0], v=via, w=who, n=now))
                        conn.execute(text("UPDATE entries SET status = 'draft', updated_at = :n WHERE feed = :f AND key = :k"),
                                     dict(n=now, f=feed, k=entry.key))
                break
            except IntegrityError:
                continue
        row = self.for_entry(feed, entry.key)
        assert row is not None
        return row

    @_guard
    def get(self, draft_id: int | str) -> ReviewDraft:
        """One draft with its entry row and plan; DraftNotFound when no draft has that id."""
        text = str(draft_id).strip()
        # ASCII digits only (int() also reads "٣" and "1_0"), and no more than a database integer holds: SQLite
        # raises OverflowError past 2**63 - 1, which would be an internal error instead of "no draft".
        number = int(text) if text.isascii() and text.isdigit() and len(text) <= 19 else -1
        rows = self.store._run("SELECT * FROM drafts WHERE id = :i", i=number if 0 < number < 2**63 else -1)
        if not rows:
            raise DraftNotFound(f"no draft {draft_id}", "`bot drafts` lists the drafts waiting, with their ids")
        return self._full(rows[0])

    @_guard
    def for_entry(self, feed: str, key: str) -> ReviewDraft | None:
        """The draft of one entry, if it has one."""
        rows = self.store._run("SELECT * FROM drafts WHERE feed = :f AND entry_key = :k", f=feed, k=key)
        return self._full(rows[0]) if rows else None

    def _full(self, row: RowMapping) -> ReviewDraft:
        feed, key = row["feed"], row["entry_key"]
        return ReviewDraft(int(row["id"]), feed, key, row["state"], entry_from_json(row["entry"]), row["out_dir"] or "",
                           row["changed_via"], row["changed_by"], row["created_at"], row["updated_at"],
                           row.get("publish_at"), self.store.load_plan(feed, key), self.store.entry(feed, key) or {})

    @_guard
    def listing(self, states: tuple[str, ...] = WAITING, feeds: set[str] | None = None) -> list[ReviewDraft]:
        """Drafts in these states (of these feeds: one publication's), oldest first."""
        marks = ", ".join(f":s{i}" for i in range(len(states)))
        rows = self.store._run(f"SELECT * FROM drafts WHERE state IN ({marks}) ORDER BY created_at, id",
                               **{f"s{i}": s for i, s in enumerate(states)})
        return [self._full(r) for r in rows if feeds is None or r["feed"] in feeds]

    @_guard
    def set_state(self, draft_id: int, state: str, via: str, who: str, now: float, *, expect: tuple[str, ...],
                  publish_at: float | None = None, note: str = "") -> bool:
        """Move a draft to `state` if it is in one of `expect` (the database decides a race); the entry follows."""
        from sqlalchemy import text

        marks = ", ".join(f":e{i}" for i in range(len(expect)))
        with self.store.engine.begin() as conn:
            won = conn.execute(text(
                f"""UPDATE drafts SET state = :s, publish_at = :p, changed_via = :v, changed_by = :w, updated_at = :n
                    WHERE id = :i AND state IN ({marks}) AND (:s != 'rejected' OR NOT EXISTS (
                        SELECT 1 FROM entries e WHERE e.feed = drafts.feed AND e.key = drafts.entry_key
                        AND (e.status = 'posted' OR (e.claimed_by IS NOT NULL AND e.lease_until >= :n)))
                      AND NOT EXISTS (SELECT 1 FROM tweets t WHERE t.feed = drafts.feed
                        AND t.entry_key = drafts.entry_key AND (t.tweet_id IS NOT NULL OR t.pending_at IS NOT NULL)))
                    RETURNING feed, entry_key"""),
                dict(s=state, p=publish_at, v=via, w=who, n=now, i=draft_id,
                     **{f"e{i}": e for i, e in enumerate(expect)})).first()
            if won is None:
                return False
            conn.execute(text("INSERT INTO draft_events (draft_id, state, via, who, note, at) VALUES (:i, :s, :v, :w, :t, :n)"),
                         dict(i=draft_id, s=state, v=via, w=who, t=clip(note, 500), n=now))
            status = ENTRY_STATUS.get(state)
            if status:
                # Approving makes the entry due at publish_at (now, or --at) for the poller, with fresh attempts.
                conn.execute(text("""UPDATE entries SET status = :st, next_attempt = :p, attempts = 0, last_error = '',
                                     updated_at = :n WHERE feed = :f AND key = :k AND status != 'posted'"""),
                             dict(st=status, p=publish_at if state in ("approved", "scheduled") else None, n=now,
                                  f=won[0], k=won[1]))
        return True

    @_guard
    def save_plan(self, draft_id: int, plan: Plan) -> bool:
        """Keep an edited thread only while the draft still waits: the database decides a race with Approve."""
        won = self.store._run(
            """UPDATE entries SET plan = :p WHERE claimed_by IS NULL AND status != 'posted' AND EXISTS (
                   SELECT 1 FROM drafts d WHERE d.id = :i AND d.state = 'draft' AND d.feed = entries.feed
                   AND d.entry_key = entries.key) RETURNING key""",
            p=plan.to_json(), i=draft_id)
        return bool(won)

    @_guard
    def note(self, draft_id: int, via: str, who: str, note: str, now: float) -> None:
        """Record an edit (the state stays)."""
        self.store._exec("""UPDATE drafts SET changed_via = :v, changed_by = :w, updated_at = :n WHERE id = :i""",
                         v=via, w=who, n=now, i=draft_id)
        row = self.store._run("SELECT state FROM drafts WHERE id = :i", i=draft_id)
        self.store._exec("INSERT INTO draft_events (draft_id, state, via, who, note, at) VALUES (:i, :s, :v, :w, :t, :n)",
                         i=draft_id, s=row[0]["state"] if row else "draft", v=via, w=who, t=clip(note, 500), n=now)

    @_guard
    def events(self, draft_id: int) -> list[DraftEvent]:
        """Every change of one draft, oldest first."""
        rows = self.store._run("SELECT state, via, who, note, at FROM draft_events WHERE draft_id = :i ORDER BY at, state",
                               i=draft_id)
        return [DraftEvent(state=r["state"], via=r["via"], who=r["who"], note=r["note"], at=r["at"]) for r in rows]

    @_guard
    def mark_posted(self, feed: str, key: str, now: float) -> None:
        """The entry's thread is complete on X: its draft (if any) is posted."""
        row = self.store._run("SELECT id, state, changed_via, changed_by FROM drafts WHERE feed = :f AND entry_key = :k",
                              f=feed, k=key)
        if row and row[0]["state"] != "posted":
            r = row[0]
            self.set_state(r["id"], "posted", r["changed_via"], r["changed_by"], now,
                           expect=("draft", "approved", "scheduled"), publish_at=None, note="published")

    @_guard
    def rejected(self, feed: str, key: str) -> bool:
        """True when the entry's draft was rejected in review (it must never be posted)."""
        rows = self.store._run("SELECT state FROM drafts WHERE feed = :f AND entry_key = :k", f=feed, k=key)
        return bool(rows) and rows[0]["state"] == "rejected"

    @_guard
    def to_notify(self, now: float, retry_after: float) -> list[ReviewDraft]:
        """Waiting drafts whose webhook message has not gone out yet (and whose last try is `retry_after` old)."""
        rows = self.store._run("""SELECT * FROM drafts WHERE state = 'draft' AND notified_at IS NULL
                                  AND (notify_error = '' OR updated_at <= :t) ORDER BY id""", t=now - retry_after)
        return [self._full(r) for r in rows]

    @_guard
    def notified(self, draft_id: int, now: float, error: str = "") -> None:
        """Record a webhook delivery (or why it failed: it is tried again later)."""
        self.store._exec("""UPDATE drafts SET notified_at = :a, notify_error = :e, updated_at = CASE WHEN :e = ''
                            THEN updated_at ELSE :n END WHERE id = :i""",
                         a=None if error else now, e=clip(error, 300), n=now, i=draft_id)

    @_guard
    def by_entry(self) -> dict[tuple[str, str], DraftState]:
        """Every draft's state, keyed by (feed, entry key), for `bot history`."""
        rows = self.store._run("SELECT id, feed, entry_key, state, changed_via, changed_by, updated_at FROM drafts")
        return {(r["feed"], r["entry_key"]): DraftState(id=r["id"], feed=r["feed"], entry_key=r["entry_key"], state=r["state"],
                                                       changed_via=r["changed_via"], changed_by=r["changed_by"],
                                                       updated_at=r["updated_at"]) for r in rows}
