"""`bot post` and `bot post --draft`: write the thread for one entry and publish it exactly once, or keep it as
a draft for review (both through `run/service.py`). The dry run (`bot/cli/post.py`) needs none of this: no store,
no publishing, no review."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli import render
from bot.cli.drafts import VIA, who
from bot.cli.post import accounts_of, logs_to, start
from bot.cli.progress import LiveView
from bot.core.records import PostedThread, Thread
from bot.core.settings import Settings
from bot.networks import registry
from bot.output import record as output
from bot.run import service

if TYPE_CHECKING:
    from bot.cli.render import Console
    from bot.state.drafts import ReviewDraft


def post_command(settings: Settings, source: str, which: str, out_dir: Path, *, draft: bool = False) -> int:
    """`bot post`: write the thread for one entry, show it, and publish it exactly once (or, with `draft`, keep it
    as a draft for review)."""
    entry, out, err = start(settings, source, which, out_dir)
    store = service.open_store(settings)  # a draft needs no X keys, but it needs the store
    made: tuple[ReviewDraft, Thread] | None = None
    thread: Thread | None = None
    posted: PostedThread | None = None
    try:
        with LiveView(err) as view, logs_to(view, settings):
            if draft:
                made = service.draft(settings, store, entry, source, out_dir, VIA, who(), on_text=view.text,
                                     on_status=view.status)
            else:
                thread, posted = service.post(settings, store, entry, source, out_dir, on_text=view.text,
                                              on_status=view.status)
    finally:
        store.close()
    if made is not None:
        return _show_draft(out, *made, out_dir)
    assert thread is not None
    mine = settings.for_feed(source)
    output.write(out_dir, thread, posted, feed=source, names=registry.display_names(), accounts=accounts_of(mine),
                 publication=mine.publication)
    render.show_thread(out, thread, out_dir, dry_run=False, posted=posted)
    return 0 if posted is not None and posted.complete else 1


def _show_draft(out: Console, draft: ReviewDraft, thread: Thread, out_dir: Path) -> int:
    """The draft's thread as `bot post` shows a thread, then what to do with it."""
    render.show_thread(out, thread, out_dir, dry_run=False)
    out.print(f"[bold]draft {draft.id}[/bold] ({draft.state}): nothing was published. "
              f"`bot drafts approve {draft.id}` publishes it, `bot drafts edit {draft.id} --tweet N --text ...` "
              f"changes a tweet, `bot drafts reject {draft.id}` drops it.")
    return 0
