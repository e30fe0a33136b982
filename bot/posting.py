"""The commands behind `bot post`, `bot run`, `bot history` and `bot retry`: feed → pipeline → output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import feed as feed_stage
from . import output


def fetch_entry(settings: Any, source: str, which: str) -> tuple[Any, Any]:
    """Fetch the feed and pick the entry; warnings about a malformed feed go to stderr."""
    import click

    f = settings.feed
    result = feed_stage.fetch(source, timeout=f.timeout, user_agent=f.user_agent, max_bytes=f.max_bytes)
    for warning in result.warnings:
        click.echo(f"bot: warning: {warning}", err=True)
    return result, feed_stage.select(result.entries, which)


def post_command(settings: Any, source: str, which: str, out_dir: Path, *, dry_run: bool) -> int:
    """`bot post`: write the thread for one entry, show it, and (unless dry) publish it exactly once."""
    from . import app, pipeline, render
    from .progress import LiveView

    result, entry = fetch_entry(settings, source, which)
    output.prepare_dir(out_dir)
    out, err = render.console(), render.console(stderr=True)
    if not app.uses_model(settings):
        err.print("[dim]writer: offline (extractive) — set HF_TOKEN or BOT_LLM_BASE_URL for a model-written thread[/dim]")
    with LiveView(err) as view:
        deps = app.build(settings, dry_run=dry_run, on_text=view.text, on_status=view.status)
        if dry_run:
            thread = pipeline.prepare(entry, deps, out_dir)
            posted = None
        else:
            from .publishing import publish_entry

            thread, posted = publish_entry(entry, result.url, deps, out_dir)
    output.write(out_dir, thread, posted, feed=source)
    render.show_thread(out, thread, out_dir, dry_run=dry_run, posted=posted)
    return 0 if dry_run or (posted is not None and posted.complete) else 1
