"""The terminal view of a thread, in the spirit of the tutorial: each post, a rule between, and its n/280 (each
configured network's thread in turn, with that network's count: 287/300, 412/500)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.errors import redact
from bot.core.records import PRIMARY, NetworkThread, PostedThread, Thread
from bot.networks import registry

if TYPE_CHECKING:  # rich loads when something is shown
    from rich.console import Console


def console(stderr: bool = False) -> Console:
    """A rich console (imported lazily: rich costs start-up time); piped to a file or a log, lines are never wrapped."""
    import sys

    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    piped = not (hasattr(stream, "isatty") and stream.isatty())
    # rich wraps at 80 columns when it cannot ask a terminal; a log line cut mid-sentence is worse than a long one.
    return Console(stderr=stderr, highlight=False, soft_wrap=piped)


def show_thread(out: Console, thread: Thread, out_dir: Path, *, dry_run: bool, posted: PostedThread | None = None) -> None:
    """Print the thread, its lengths, the image and the files written."""
    from rich.markup import escape
    from rich.rule import Rule

    entry = thread.article.entry
    writer = thread.writer.backend + (f" · {thread.writer.model}" if thread.writer.model else "")
    out.print(f"[bold]{escape(entry.title)}[/bold]")
    out.print(f"[dim]{escape(entry.link)}[/dim]")
    out.print(f"[dim]writer: {escape(writer)} · model calls: {thread.writer.calls}"
              f"{' · paywalled post (thread written from the free preview)' if entry.paywalled else ''}[/dim]")
    ids = {(p.network, p.position): p.tweet_id for p in posted.published} if posted else {}
    threads = thread.networks or (thread.for_network(PRIMARY),)
    for item in threads:
        if len(threads) > 1 or item.network != PRIMARY:
            out.print(Rule(f"[bold]{registry.name(item.network)}[/bold]"))
        total = len(item.tweets)
        for index, tweet in enumerate(item.tweets, start=1):
            out.print(Rule(f"{index}/{total}" if total > 1 else "", style="dim"))
            out.print(escape(tweet.text))
            colour = "green" if 0 < tweet.weighted_length <= item.limit else "red"
            post_id = ids.get((item.network, index))
            # The contract's network's ids are thread.json's `tweet_id`s.
            posted_text = f"  · {'tweet id' if item.network == PRIMARY else 'id'} {post_id}" if post_id else ""
            out.print(f"[{colour}]{tweet.weighted_length}/{item.limit}[/{colour}]{escape(posted_text)}", justify="right")
    out.print(Rule(style="dim"))
    image = thread.image
    if image.path:
        out.print(f"image: {escape(str(image.path))} ({image.source}, {image.width}×{image.height}, {image.size // 1024} KB)")
        out.print(f"[dim]alt text: {escape(image.alt_text)}[/dim]")
    else:
        out.print("image: none")
    for note in thread.notes:
        out.print(f"[yellow]note:[/yellow] {escape(redact(note))}")
    if posted:
        for note in posted.notes:
            out.print(f"[yellow]note:[/yellow] {escape(redact(note))}")
    out.print(f"wrote {escape(str(out_dir / 'thread.json'))} and {escape(str(out_dir / 'preview.html'))}")
    if dry_run:
        out.print("[bold]dry run:[/bold] nothing was published and nothing was marked as posted.")
    elif posted is not None:
        if posted.complete:
            state = "complete"
        elif any("x.reply_fallback = stop" in note for note in posted.notes):
            state = ("NOT complete — X refuses replies here: set x.reply_fallback = quote (or x.thread_mode = quote), "
                     "then `bot retry` this entry and run `bot post` again to finish it")
        else:
            state = "NOT complete — run `bot post` again on this entry to finish it"
        if len(threads) == 1 and threads[0].network == PRIMARY:
            out.print(f"[bold]published:[/bold] {len(posted.published)}/{len(threads[0].tweets)} tweets, thread {state}.")
        else:
            # A post's own extras (LinkedIn's first comment, at a position past its posts) are not posts of it.
            def made(t: NetworkThread) -> int:
                return sum(1 for p in posted.published if p.network == t.network and p.position <= len(t.tweets))
            counts = ", ".join(f"{registry.name(t.network)} {made(t)}/{len(t.tweets)}" for t in threads)
            out.print(f"[bold]published:[/bold] {escape(counts)} posts, threads {state}.")
