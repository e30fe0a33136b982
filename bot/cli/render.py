"""The terminal view of a thread, in the spirit of the tutorial: each post, a rule between, and its n/280 (each
configured network's thread in turn, with that network's count: 287/300, 412/500)."""

from __future__ import annotations

import builtins
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO

from bot.core.errors import redact
from bot.core.records import PRIMARY, NetworkThread, PostedThread, Thread
from bot.networks import registry

if TYPE_CHECKING:  # rich is imported when it draws, not with this module
    from rich.console import Console as RichConsole
    from rich.rule import Rule as RichRule
    from rich.status import Status

# What the plain printer draws itself: the tags show_thread and the live view use, and text that rich would print
# as it is (no markup left, no :emoji: code, none of the control characters rich drops or tabs it expands).
_TAGS = re.compile(r"\[/?(?:bold|dim|green|red|yellow)\]")
_NOT_AS_IS = re.compile(r"[\[\\\t\x07\x08\x0b\x0c\r]|:\S*?:")
_ASCII_LINE = re.compile(r"[ -~]*")
Justify = Literal["default", "left", "center", "right", "full"]  # rich's JustifyMethod


def escape(markup: str, _escape: Callable[..., str] = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])").sub) -> str:
    """rich.markup.escape (the same rule; importing rich.markup costs rich's text stack)."""
    markup = _escape(lambda m: f"{m.group(1)}{m.group(1)}\\{m.group(2)}", markup)
    return markup + "\\" if markup.endswith("\\") and not markup.endswith("\\\\") else markup


class Rule:
    """A horizontal rule with an optional title, as rich.rule.Rule draws it (centred, "─")."""

    def __init__(self, title: str = "", *, style: str = "") -> None:
        self.title, self.style = title, style

    def rich(self) -> RichRule:
        from rich import rule

        return rule.Rule(self.title, style=self.style or "rule.line")


class Console:
    """Prints what rich's Console prints to a pipe or a file (no colours; lines never wrapped), without importing
    rich (~40 ms, 4 MB) for the lines it draws the same: plain text, rules and right-aligned counts. A terminal,
    a forced colour setting and anything else are rich's (tests/cli/test_console.py compares the two)."""

    def __init__(self, stderr: bool = False) -> None:
        self.stderr = stderr
        self._rich: RichConsole | None = None
        stream = self._stream()
        self.width = _rich_width()
        # rich's own tests of a stream, in its order: Windows consoles, IDLE, Jupyter, a terminal, a non-UTF encoding.
        self.plain = sys.platform != "win32" and not getattr(sys.stdin, "__module__", "").startswith("idlelib") \
            and not hasattr(builtins, "get_ipython") and not _rich_terminal(stream) and self.width >= 20 \
            and (getattr(stream, "encoding", "utf-8") or "utf-8").lower().startswith("utf")
        if not self.plain:
            self._console()

    def _stream(self) -> TextIO:
        return sys.stderr if self.stderr else sys.stdout

    def _console(self) -> RichConsole:
        if self._rich is None:
            from rich import console as rich_console

            stream = self._stream()
            piped = not (hasattr(stream, "isatty") and stream.isatty())
            # rich wraps at 80 columns when it cannot ask a terminal; a log line cut mid-sentence is worse than a long one.
            self._rich = rich_console.Console(stderr=self.stderr, highlight=False, soft_wrap=piped)
        return self._rich

    @property
    def is_terminal(self) -> bool:
        return False if self.plain else bool(self._console().is_terminal)

    def status(self, message: str) -> Status:
        return self._console().status(message)

    def print(self, *objects: object, style: str | None = None, markup: bool | None = None,
              highlight: bool | None = None, end: str = "\n", justify: Justify | None = None) -> None:
        text = self._plain(objects, markup, justify) if self.plain and highlight is not True else None
        if text is None:
            self._console().print(*(o.rich() if isinstance(o, Rule) else o for o in objects), style=style,
                                  markup=markup, highlight=highlight, end=end, justify=justify)
            return
        stream = self._stream()
        stream.write(text + end)
        stream.flush()

    def _plain(self, objects: tuple[object, ...], markup: bool | None, justify: Justify | None) -> str | None:
        """The line as rich would print it here, or None when rich must draw it."""
        if not objects:
            return ""
        if len(objects) > 1 or justify not in (None, "right"):
            return None
        thing = objects[0]
        if isinstance(thing, Rule):
            return self._rule(thing) if justify is None else None
        if not isinstance(thing, str):
            return None
        text = _TAGS.sub("", thing) if markup is not False else thing
        if _NOT_AS_IS.search(text):
            return None
        if justify == "right":
            if not text or text != text.strip() or len(text) > self.width or not _ASCII_LINE.fullmatch(text):
                return None
            return " " * (self.width - len(text)) + text
        return text

    def _rule(self, rule: Rule) -> str | None:
        width = self.width
        if not rule.title:
            return "─" * width
        title = _TAGS.sub("", rule.title)
        if _NOT_AS_IS.search(title) or not _ASCII_LINE.fullmatch(title) or len(title) + 8 > width:
            return None
        side = (width - len(title)) // 2
        return ("─" * (side - 1) + f" {title} " + "─" * (side + 1))[:width]


def _rich_terminal(stream: TextIO) -> bool:
    """rich's Console.is_terminal for a stream (TTY_COMPATIBLE, then FORCE_COLOR, then isatty)."""
    compatible = os.environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    if "FORCE_COLOR" in os.environ:
        return os.environ["FORCE_COLOR"] != ""
    try:
        return bool(stream.isatty()) if hasattr(stream, "isatty") else False
    except ValueError:
        return False


def _rich_width() -> int:
    """rich's Console.size width off a terminal: COLUMNS, else the first standard stream's terminal, else 80."""
    columns = os.environ.get("COLUMNS")
    if columns is not None and columns.isdigit():
        return int(columns)
    for fd in (0, 1, 2):
        try:
            return os.get_terminal_size(fd).columns or 80
        except (AttributeError, ValueError, OSError):
            continue
    return 80


def console(stderr: bool = False) -> Console:
    """The console `bot` prints through (rich's, or the plain printer that prints its lines the same way)."""
    return Console(stderr)


def show_thread(out: Console, thread: Thread, out_dir: Path, *, dry_run: bool, posted: PostedThread | None = None) -> None:
    """Print the thread, its lengths, the image and the files written."""
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
