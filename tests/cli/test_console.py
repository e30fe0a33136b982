"""What `bot` prints to a pipe or a file is what rich prints there: the plain printer (bot/cli/render.py, which
spares a dry run rich's import) against rich's own Console as the oracle, line for line, on texts a thread holds."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest
from rich.console import Console as RichConsole
from rich.markup import escape as rich_escape
from rich.rule import Rule as RichRule

from bot.cli import render

TEXTS = [
    "Why small newsletters win", "https://quietindex.substack.com/p/why-small-newsletters-win",
    "A line\nand another", "trailing spaces   ", "  leading", "", "tab\there", "carriage\rreturn", "bell\x07",
    "[bold]not a tag[/bold]", "a [link] in brackets", "back\\slash", "ends with \\", "a :smile: emoji code",
    "time 10:30:45", "https://host:8080/path", "CJK 日本語のテキスト", "emoji 🎉 and ZWJ 👩‍💻", "x" * 150,
    "é composed e\u0301", "nbsp\u00a0here", "escape \x1b[31m", "mixed ] bracket", "[/dim] stray close",
]


def _pair(monkeypatch: pytest.MonkeyPatch, columns: str) -> tuple[io.StringIO, Any, io.StringIO, Any]:
    monkeypatch.setenv("COLUMNS", columns)
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    ours_out, rich_out = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", ours_out)
    ours = render.console()
    oracle = RichConsole(file=rich_out, highlight=False, soft_wrap=True)
    return ours_out, ours, rich_out, oracle


@pytest.mark.parametrize("columns", ["100", "80", "37", "20"])
def test_the_plain_printer_prints_what_rich_prints(monkeypatch: pytest.MonkeyPatch, columns: str) -> None:
    ours_out, ours, rich_out, oracle = _pair(monkeypatch, columns)
    assert ours.plain
    for text in TEXTS:
        for printer, rule in ((ours, render.Rule), (oracle, RichRule)):
            printer.print(f"[bold]{render.escape(text)}[/bold]")
            printer.print(render.escape(text))
            printer.print(f"… {text}", style="dim", markup=False, highlight=False)
            printer.print(text, end="", style="dim", markup=False, highlight=False)
            printer.print()
            printer.print(f"[green]{render.escape(text)}[/green]", justify="right")
            printer.print(rule(f"[bold]{render.escape(text[:30])}[/bold]"))
        for printer, rule in ((ours, render.Rule), (oracle, RichRule)):
            printer.print(rule("2/3", style="dim"))
            printer.print(rule(style="dim"))
            printer.print(f"[red]{len(text)}/280[/red]  · tweet id 123", justify="right")
        assert ours_out.getvalue() == rich_out.getvalue(), text


def test_ordinary_lines_never_load_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    """The thread's own lines (a title, a post, its count, the rules) are drawn without rich's console."""
    ours_out, ours, rich_out, oracle = _pair(monkeypatch, "80")
    for printer, rule in ((ours, render.Rule), (oracle, RichRule)):
        printer.print("[bold]Why small newsletters win[/bold]")
        printer.print(rule("1/3", style="dim"))
        printer.print("The economics of attention favour the tiny, loyal audience.")
        printer.print("[green]145/280[/green]", justify="right")
        printer.print(rule(style="dim"))
    assert ours._rich is None
    assert ours_out.getvalue() == rich_out.getvalue()


def test_escape_is_riches(monkeypatch: pytest.MonkeyPatch) -> None:
    for text in [*TEXTS, "[b]", "\\[b]", "\\\\[link=x]", "a\\", "a\\\\", "[#fff]", "[@click]", "[/]"]:
        assert render.escape(text) == rich_escape(text)


def test_a_forced_colour_setting_is_left_to_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert not render.console().plain
