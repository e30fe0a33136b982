"""`bot history` and `bot retry` (the store they read is opened by `run/service.py`)."""

from __future__ import annotations

from bot.cli.render import console
from bot.core.errors import BotError, clip, redact
from bot.core.records import PRIMARY
from bot.core.settings import Settings
from bot.run import service
from bot.state.drafts import DraftStore, iso

NOTHING_YET = "nothing recorded yet: run `bot run --once` or `bot post` first"


def history_command(settings: Settings, *, as_json: bool, limit: int, publication: str = "") -> int:
    """`bot history`: what became of each entry seen (of one publication: --publication), with tweet ids."""
    import json
    from datetime import datetime, timezone

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
        stamp = datetime.fromtimestamp(when, timezone.utc).strftime("%Y-%m-%d %H:%M") if when else ""
        ids = " ".join(str(t["id"]) if t.get("network", PRIMARY) == PRIMARY else f"{t['network']}:{t['id']}"
                      for t in row["tweets"])
        r = row["review"]
        error = f"; {row['last_error']}" if row["last_error"] else ""
        note = f"draft {r['draft']} {r['state']} via {r['via']}{error}" if r else row["last_error"]
        table.add_row(stamp, row["status"], row["title"][:60], ids, str(row["model_calls"]), clip(note, 60))
    console().print(table)
    return 0


def retry_command(settings: Settings, ref: str) -> int:
    """`bot retry ENTRY`: make a failed entry eligible again."""
    import time

    store = service.read_store(settings)  # an entry to retry is one already recorded: nothing to create
    if store is None:
        raise BotError(f"no entry matches {ref!r}: {NOTHING_YET}", "give its key (/p/slug), link or guid")
    try:
        row = store.retry(ref, time.time())
    finally:
        store.close()
    if row is None:
        raise BotError(f"no entry matches {ref!r}", "give its key (/p/slug), link or guid; `bot history` lists them")
    print(f"{row['title'] or row['key']}: was {row['status']}; it will be tried on the next poll "
          f"(or run `bot post --entry {row['link'] or row['key']}`)")
    return 0
