"""`bot post --dry-run`: feed → pipeline → output, shown; it loads no store, publisher client or review page.

`bot/cli/publish.py` builds `bot post` and `bot post --draft` on the same steps."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli import render
from bot.cli.progress import LiveView
from bot.core import logs
from bot.core.records import Entry, FeedResult
from bot.core.settings import DEFAULT, Settings
from bot.feed import source as feed_stage
from bot.networks import registry
from bot.output import record as output
from bot.run import pipeline
from bot.run import wiring as app

if TYPE_CHECKING:  # rich loads when something is shown
    from bot.cli.render import Console


def accounts_of(settings: Settings) -> dict[str, str]:
    """Each network of the publication, with the account its thread goes to."""
    return {network: settings.account(network) for network in settings.networks}


def fetch_entry(settings: Settings, source: str, which: str) -> tuple[FeedResult, Entry]:
    """Fetch the feed and pick the entry; warnings about a malformed feed go to stderr."""
    import click

    f = settings.feed
    result = feed_stage.fetch(source, timeout=f.timeout, user_agent=f.user_agent, max_bytes=f.max_bytes)
    for warning in result.warnings:
        click.echo(f"bot: warning: {warning}", err=True)
    return result, feed_stage.select(result.entries, which)


def start(settings: Settings, source: str, which: str, out_dir: Path) -> tuple[Entry, Console, Console]:
    """The steps every `bot post` takes first: the entry, the output folder, and the two consoles (out, err)."""
    _result, entry = fetch_entry(settings, source, which)
    output.prepare_dir(out_dir)
    out, err = render.console(), render.console(stderr=True)
    if not app.uses_model(settings):
        err.print("[dim]writer: offline (extractive) — set HF_TOKEN or BOT_LLM_BASE_URL for a model-written "
                  "thread[/dim]")
    return entry, out, err


@contextmanager
def logs_to(view: LiveView, settings: Settings) -> Iterator[None]:
    """While `bot post` runs, log lines appear once, in the live view (redacted, at log.level, as `bot run` logs)."""
    import logging

    root = logging.getLogger()
    saved = root.handlers[:]
    logs.setup(settings, handler=view.handler())
    try:
        yield
    finally:
        root.handlers[:] = saved  # the view is closed: nothing may print through it any more


def dry_run_command(settings: Settings, source: str, which: str, out_dir: Path) -> int:
    """`bot post --dry-run`: write the thread for one entry and show it; touches no state at all."""
    settings = settings.for_feed(source)  # the publication whose feed it is: its settings and accounts
    entry, out, err = start(settings, source, which, out_dir)
    with LiveView(err) as view, logs_to(view, settings):
        deps = app.for_preview(settings, on_text=view.text, on_status=view.status)
        thread = pipeline.prepare(entry, deps, out_dir)
    accounts = accounts_of(settings)
    if len(settings.publications) > 1 or settings.publication != DEFAULT or set(accounts.values()) != {DEFAULT}:
        # With publications or named accounts, say where each thread would go (one author's install has one place).
        err.print("would go to: " + ", ".join(f"{registry.name(n)} account {a}" for n, a in accounts.items())
                  + f" (publication {settings.publication})")
    output.write(out_dir, thread, None, feed=source, names=registry.display_names(), accounts=accounts,
                 publication=settings.publication)
    render.show_thread(out, thread, out_dir, dry_run=True, posted=None)
    return 0
