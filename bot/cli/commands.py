"""The commands behind `bot post`, `bot run`, `bot history` and `bot retry`: feed → pipeline → output."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from bot.feed import source as feed_stage
from bot.output import record as output
from bot.core.settings import Settings
from bot.run import wiring as app
from bot.run import pipeline
from bot.cli import render
from bot.cli.progress import LiveView
from bot.run.publishing import publish_entry
from bot.core import logs
from bot.state.store import Store
from bot.run import daemon
from bot.core.clock import SystemClock
from bot.run.poller import poll_feed
from bot.cli.render import console
from bot.core.errors import BotError, redact, clip
from bot.run.notify import notify_waiting
from bot.run.publishing import thread_from_plan
from bot.state.drafts import DraftStore, entry_from_json, iso
from bot.cli.drafts import draft_post
from bot.web.server import serve, serve_in_thread


def fetch_entry(settings: Settings, source: str, which: str) -> tuple[Any, Any]:
    """Fetch the feed and pick the entry; warnings about a malformed feed go to stderr."""
    import click

    f = settings.feed
    result = feed_stage.fetch(source, timeout=f.timeout, user_agent=f.user_agent, max_bytes=f.max_bytes)
    for warning in result.warnings:
        click.echo(f"bot: warning: {warning}", err=True)
    return result, feed_stage.select(result.entries, which)


def post_command(settings: Settings, source: str, which: str, out_dir: Path, *, dry_run: bool,
                 draft: bool = False) -> int:
    """`bot post`: write the thread for one entry, show it, and (unless dry) publish it exactly once (or, with
    `draft`, keep it as a draft for review)."""
    result, entry = fetch_entry(settings, source, which)
    output.prepare_dir(out_dir)
    out, err = render.console(), render.console(stderr=True)
    if not app.uses_model(settings):
        err.print("[dim]writer: offline (extractive) — set HF_TOKEN or BOT_LLM_BASE_URL for a model-written thread[/dim]")
    store = None if dry_run else open_store(settings)  # a dry run touches no state at all (a draft needs no X keys)
    made: dict[str, Any] | None = None
    try:
        with LiveView(err) as view, _logs_to(view, settings):
            deps = app.build(settings, dry_run=dry_run or draft, on_text=view.text, on_status=view.status, store=store)
            if dry_run:
                thread = pipeline.prepare(entry, deps, out_dir)
                posted = None
            elif draft:
                made = draft_post(settings, entry, source, deps, out_dir)
            else:
                thread, posted = publish_entry(entry, source, deps, out_dir)
    finally:
        if store is not None:
            store.close()
    if made is not None:
        return _show_draft(out, made, deps, out_dir)
    output.write(out_dir, thread, posted, feed=source)
    render.show_thread(out, thread, out_dir, dry_run=dry_run, posted=posted)
    return 0 if dry_run or (posted is not None and posted.complete) else 1


def _show_draft(out: Any, draft: dict[str, Any], deps: Any, out_dir: Path) -> int:
    """The draft's thread as `bot post` shows a thread, then what to do with it."""
    thread = thread_from_plan(draft["plan"], entry_from_json(draft["entry"]), deps, out_dir, need_image=False)
    render.show_thread(out, thread, out_dir, dry_run=False)
    out.print(f"[bold]draft {draft['id']}[/bold] ({draft['state']}): nothing was published. "
              f"`bot drafts approve {draft['id']}` publishes it, `bot drafts edit {draft['id']} --tweet N --text ...` "
              f"changes a tweet, `bot drafts reject {draft['id']}` drops it.")
    return 0


@contextmanager
def _logs_to(view: Any, settings: Settings) -> Iterator[None]:
    """While `bot post` runs, log lines appear once, in the live view (redacted, at log.level, as `bot run` logs)."""
    import logging

    root = logging.getLogger()
    saved = root.handlers[:]
    logs.setup(settings, handler=view.handler())
    try:
        yield
    finally:
        root.handlers[:] = saved  # the view is closed: nothing may print through it any more


def open_store(settings: Settings) -> Any:
    """The store named by DATABASE_URL, else the SQLite file; created or migrated (post and run only)."""
    return Store.open(settings.secrets.get("DATABASE_URL") or None, settings)


NOTHING_YET = "nothing recorded yet: run `bot run --once` or `bot post` first"


def read_store(settings: Settings) -> Any:
    """The store for a read-only command, or None when nothing was recorded yet; creates no file or table."""
    return Store.open_existing(settings.secrets.get("DATABASE_URL") or None, settings)


def run_command(settings: Settings, *, once: bool, web: bool = False) -> int:
    """`bot run`: the daemon (or one cycle with --once); with `web`, the review page in the same process."""
    logs.setup(settings)
    clock = SystemClock()
    store = open_store(settings)
    try:
        app.build(settings, dry_run=False, clock=clock, store=store)  # a settings or credential problem stops us here
        out_root = Path(settings.output.dir)

        def poll(url: str, should_stop: Any) -> None:
            # Each poll wires its own deps: its publisher checks this poll's should_stop between tweets, and
            # feeds polled at the same time in the scheduler's threads share no client or writer state.
            deps = app.build(settings, dry_run=False, clock=clock, store=store, should_stop=should_stop)
            try:
                poll_feed(url, deps, should_stop, out_root)
            finally:
                notify_waiting(settings, store, clock.time())

        if web:
            page = serve_in_thread(settings, store, clock)

            def counted(url: str, should_stop: Any) -> None:
                ok = False
                try:
                    poll(url, should_stop)
                    ok = True
                finally:
                    page.ops.count_poll(ok)  # /metrics counts the daemon's polls too

            try:
                return daemon.run(settings, counted, clock, once=once)
            finally:
                page.stop()
        return daemon.run(settings, poll, clock, once=once)
    finally:
        store.close()


def serve_command(settings: Settings, *, host: str | None, port: int | None) -> int:
    """`bot serve`: the review page alone (the daemon runs elsewhere, or use `bot run --web`)."""
    store = open_store(settings)
    try:
        return serve(settings, store, host, port)
    finally:
        store.close()


def history_command(settings: Settings, *, as_json: bool, limit: int) -> int:
    """`bot history`: what became of each entry seen, with tweet ids."""
    import json
    from datetime import datetime, timezone

    store = read_store(settings)
    if store is None:
        print("[]" if as_json else NOTHING_YET)
        return 0
    try:
        rows = store.history(limit)
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
        ids = " ".join(t["id"] if t.get("network", "x") == "x" else f"{t['network']}:{t['id']}" for t in row["tweets"])
        r = row["review"]
        note = f"draft {r['draft']} {r['state']} via {r['via']}" + (f"; {row['last_error']}" if row["last_error"] else "") \
            if r else row["last_error"]
        table.add_row(stamp, row["status"], row["title"][:60], ids, str(row["model_calls"]), clip(note, 60))
    console().print(table)
    return 0


def retry_command(settings: Settings, ref: str) -> int:
    """`bot retry ENTRY`: make a failed entry eligible again."""
    import time

    store = read_store(settings)  # an entry to retry is one already recorded: nothing to create
    if store is None:
        raise BotError(f"no entry matches {ref!r}: {NOTHING_YET}", "give its key (/p/slug), link or guid")
    try:
        row = store.retry(ref, time.time())
    finally:
        store.close()
    if row is None:
        raise BotError(f"no entry matches {ref!r}", "give its key (/p/slug), link or guid; `bot history` lists them")
    print(f"{row['title'] or row['key']}: was {row['status']}; it will be tried on the next poll (or run `bot post --entry {row['link'] or row['key']}`)")
    return 0
