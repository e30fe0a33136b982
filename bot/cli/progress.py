"""What the terminal shows while a thread is being made: the model's text as it streams, a spinner otherwise."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.cli.render import escape
from bot.core.errors import redact

if TYPE_CHECKING:  # rich loads when something is shown
    from rich.status import Status

    from bot.cli.render import Console


class LiveView:
    """A spinner on stderr whose message follows the pipeline; streamed model text is printed as it arrives."""

    def __init__(self, console: Console, enabled: bool = True) -> None:
        self.console = console
        self.enabled = enabled and console.is_terminal
        self._status: Status | None = None
        self._streaming = False
        self._held = ""  # the streamed text's last word, printed once it ends

    def __enter__(self) -> LiveView:
        if self.enabled:
            self._status = self.console.status("starting")
            self._status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._end_stream()
        if self._status is not None:
            self._status.stop()

    def status(self, message: str) -> None:
        """Show what the pipeline is doing now."""
        self._end_stream()
        if self._status is not None:
            self._status.update(escape(message))
            self._status.start()
        else:
            self.console.print(f"… {message}", style="dim", markup=False, highlight=False)

    def warn(self, message: str) -> None:
        """A line that stays on screen: something was skipped or failed, and the user should know."""
        self._end_stream()
        if self._status is not None:
            self._status.stop()
        self.console.print(f"[yellow]![/yellow] {escape(message)}", highlight=False)
        if self._status is not None:
            self._status.start()

    def handler(self) -> logging.Handler:
        """A logging handler: the bot's INFO lines become progress, every WARNING a line that stays."""
        view = self

        class ToView(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                message = record.getMessage()  # logs.setup's filter has redacted it already
                if record.levelno >= logging.WARNING:
                    view.warn(message)
                elif record.name.startswith("bot"):
                    view.status(message)

        return ToView()

    def text(self, chunk: str) -> None:
        """Print a piece of the model's answer as it arrives, redacted: whole words only, since a server that echoes
        the request may split a secret across chunks (the word being written is held until it ends)."""
        if not self._streaming:
            if self._status is not None:
                self._status.stop()
            self._streaming = True
        self._held += chunk
        end = max(self._held.rfind(" "), self._held.rfind("\n"), self._held.rfind("\t"))
        if end >= 0:
            ready, self._held = self._held[:end + 1], self._held[end + 1:]
            self._print(ready)

    def _print(self, text: str) -> None:
        if text:
            self.console.print(redact(text), end="", style="dim", markup=False, highlight=False)

    def _end_stream(self) -> None:
        if self._streaming:
            held, self._held = self._held, ""
            self._print(held)
            self.console.print()
            self._streaming = False

