"""`bot history` and `bot retry` (the store they read is opened by `run/service.py`)."""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING

from bot.cli.render import console
from bot.core.errors import BotError, clip, redact
from bot.core.records import PRIMARY
from bot.core.settings import Settings
from bot.networks import registry
from bot.run import service
from bot.state.drafts import DraftStore, iso
from bot.state.schema import RETRYABLE

if TYPE_CHECKING:
    from bot.state.store import Store

NOTHING_YET = "nothing recorded yet: run `bot run --once` or `bot post` first"


def history_command(settings: Settings, *, as_json: bool, limit: int, publication: str = "") -> int:
    """`bot history`: what became of each entry seen (of one publication: --publication), with tweet ids."""
    import json
    from datetime import datetime

    if publication:
        settings.of_publication(publication)  # ConfigError naming the known ones for a name no publication has
    store = service.read_store(settings)
    if store is None:
        print("[]" if as_json else NOTHING_YET)
        return 0
    try:
        rows = store.history(limit, publication)
        reviews = DraftStore(store).by_entry()
    finally:
        store.close()
    for row in rows:
        r = reviews.get((row["feed"], row["key"]))
        # Who moved the draft last, and from where: "cli" or "web" (or "daemon", which prepared it).
        row["review"] = {"draft": r["id"], "state": r["state"], "via": r["changed_via"], "by": r["changed_by"],
                         "at": iso(r["updated_at"])} if r else None
    if as_json:
        print(redact(json.dumps(rows, ensure_ascii=False, indent=2)))  # rows written before redaction existed too
        return 0
    if not rows:
        print("no entries yet: run `bot run --once` or `bot post` first")
        return 0
    from rich.table import Column, Table

    # Tweet ids are for copying: they fold onto the next line, never end in an ellipsis.
    table = Table("when", "status", Column("title", ratio=2), Column("tweet ids", overflow="fold", min_width=19),
                  "calls", Column("note", ratio=1), box=None, show_edge=False)
    for row in rows:
        when = row["published"] or row["updated_at"]
        stamp = datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d %H:%M") if when else ""
        ids = " ".join(str(t["id"]) if t.get("network", PRIMARY) == PRIMARY else f"{t['network']}:{t['id']}"
                      for t in row["tweets"])
        shown = row["review"]
        error = f"; {row['last_error']}" if row["last_error"] else ""
        note = f"draft {shown['draft']} {shown['state']} via {shown['via']}{error}" if shown else row["last_error"]
        table.add_row(stamp, row["status"], row["title"][:60], ids, str(row["model_calls"]), clip(note, 60))
    console().print(table)
    return 0


def retry_command(settings: Settings, ref: str, not_posted: bool = False) -> int:
    """`bot retry ENTRY`: make a failed entry eligible again. With `not_posted`, first release the posts it holds
    (a pending mark whose outcome the network would not let the bot read back): a person looked, they are not there,
    and the next run sends them."""
    import time

    store = service.read_store(settings)  # an entry to retry is one already recorded: nothing to create
    if store is None:
        raise BotError(f"no entry matches {ref!r}: {NOTHING_YET}", "give its key (/p/slug), link or guid")
    try:
        released = _release(store, ref, time.time()) if not_posted else []
        row = store.retry(ref, time.time())
    finally:
        store.close()
    if row is None:
        raise BotError(f"no entry matches {ref!r}", "give its key (/p/slug), link or guid; `bot history` lists them")
    for line in released:
        print(line)
    print(f"{row['title'] or row['key']}: was {row['status']}; it will be tried on the next poll "
          f"(or run `bot post --entry {row['link'] or row['key']}`)")
    return 0


def _release(store: Store, ref: str, now: float) -> list[str]:
    """Forget the pending marks of a held entry (each network's, by the registry); one line per post released.
    Refused, changing nothing, unless the entry failed or stopped with such a mark and nobody is publishing it."""
    row = store.find_entry(ref)
    if row is None:
        raise BotError(f"no entry matches {ref!r}", "give its key (/p/slug), link or guid; `bot history` lists them")
    title = row["title"] or row["key"]
    if row["claimed_by"] and (row["lease_until"] or 0) > now:
        raise BotError(f"{title} is being published right now; nothing was released",
                       "wait for that run to end, then try again")
    held = {name: sorted(store.ledger(row["feed"], row["key"], network=name).pending_positions())
            for name in registry.names()}
    held = {name: positions for name, positions in held.items() if positions}
    if row["status"] not in RETRYABLE or not held:
        raise BotError(f"{title} holds no post of unknown outcome (it is {row['status']}); nothing was released",
                       "--not-posted is for an entry held because a post could not be read back; "
                       "`bot retry ENTRY` alone makes a failed entry eligible again")
    lines = []
    for name, positions in held.items():
        ledger = store.ledger(row["feed"], row["key"], network=name)
        for position in positions:
            ledger.refused(position)
            lines.append(f"released {registry.label(name, position)}: marked not posted, so the next run sends it")
    return lines
