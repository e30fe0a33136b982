"""The `bot` command: thin commands over the pipeline; every user mistake ends in one clear line.

Each command imports its module when it runs (the one place the bot imports itself inside functions), so
`bot --help` loads only click, and a command loads only its own modules: `bot post --dry-run` no store, publishing
or review code, and only `bot run` and `bot serve` the web stack (bot/cli/serve.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from bot.core.errors import BotError

if TYPE_CHECKING:
    from bot.core.settings import Settings

INTERNAL_EXIT = 3


def _settings() -> Settings:
    from bot.core import settings as config

    return config.load()


def _say(message: str) -> None:
    click.echo(message, err=True)


def _feed_source(settings: Settings, feed: str | None, *, dry_run: bool = True) -> tuple[str, bool]:
    """The feed to read: --feed, else the first configured feed, else (dry runs only) the bundled sample."""
    from bot.core.errors import ConfigError
    from bot.feed.source import SAMPLE_FEED

    chosen = feed or (settings.feed.urls[0] if settings.feed.urls else "")
    if not dry_run and (not chosen or _is_sample(chosen, SAMPLE_FEED)):
        # The sample article is the bot's, not the user's: it is for dry runs, never for an account.
        raise ConfigError("no feed configured, and the bundled sample article is for dry runs only",
                          "set BOT_FEED_URL to your feed (or pass --feed URL), or add --dry-run to try the sample")
    if feed:
        return feed, False
    if settings.feed.urls:
        if len(settings.feed.urls) > 1:
            _say(f"several feeds are configured; using the first, {settings.feed.urls[0]} (choose with --feed)")
        return settings.feed.urls[0], False
    _say("no feed configured: using the sample Substack feed bundled with the bot "
         "(set BOT_FEED_URL or pass --feed to use yours)")
    return str(SAMPLE_FEED), True


class _Networks(click.Choice[str]):
    """`--network`'s choices: the registry's networks, read when first asked for (loading the registry loads every
    network's module, which `bot --help` need not pay for)."""

    def __init__(self) -> None:
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        from bot.networks import registry

        return registry.names()

    @choices.setter
    def choices(self, value: object) -> None:
        pass  # click's __init__ sets them; they are the registry's


class _Primary:
    """`--network`'s default, the contract's network, read when used; shown by its id in the help."""

    def __call__(self) -> str:
        from bot.networks import registry

        return registry.PRIMARY

    def __str__(self) -> str:
        return self()


def _is_sample(source: str, sample: Path) -> bool:
    try:
        return Path(source.removeprefix("file://")).expanduser().resolve() == sample.resolve()
    except (OSError, ValueError):
        return False


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="substack-thread-bot", prog_name="bot")
def cli() -> None:
    """Turn each new Substack post into an X thread with an image, exactly once."""


@cli.command()
@click.option("--dry-run", is_flag=True, help="Show what would be posted; publish nothing, mark nothing.")
@click.option("--feed", metavar="URL|PATH", help="Feed to read (default: BOT_FEED_URL, else the bundled sample).")
@click.option("--entry", "which", default="latest", show_default=True, metavar="latest|URL|GUID",
              help="Which entry of the feed.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), metavar="DIR",
              help="Where thread.json, the image and preview.html go (default: out/).")
@click.option("--draft", is_flag=True, help="Keep the thread as a draft for review (bot drafts, the web page); publish nothing.")
def post(dry_run: bool, feed: str | None, which: str, out_dir: Path | None, draft: bool) -> None:
    """Write the thread for one entry and publish it (or, with --dry-run, only show it)."""
    if dry_run and draft:
        raise click.UsageError("--dry-run and --draft exclude each other: a dry run keeps nothing")
    settings = _settings()
    source, _sample = _feed_source(settings, feed, dry_run=dry_run)
    out = out_dir or Path(settings.output.dir)
    if dry_run:  # the dry run loads no store, publishing or review code (bot/cli/post.py)
        from bot.cli.post import dry_run_command

        sys.exit(dry_run_command(settings, source, which, out))
    from bot.cli.publish import post_command

    sys.exit(post_command(settings, source, which, out, draft=draft))


@cli.command()
@click.option("--once", is_flag=True, help="Poll every feed once, then exit (for cron and tests).")
@click.option("--web", is_flag=True, help="Also serve the review page (port from PORT, as on Heroku, else web.port).")
def run(once: bool, web: bool) -> None:
    """Run the daemon: poll the feeds on a schedule and publish each new entry."""
    from bot.cli.serve import run_command

    sys.exit(run_command(_settings(), once=once, web=web))


@cli.command()
@click.option("--host", default=None, help="Address to listen on (default: web.host, 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default: PORT, else web.port, 8080).")
def serve(host: str | None, port: int | None) -> None:
    """Serve the review page: drafts to approve and edit, history, /api/poll, /healthz, /metrics."""
    from bot.cli.serve import serve_command

    sys.exit(serve_command(_settings(), host=host, port=port))


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON: a list of drafts with their tweets.")
@click.option("--all", "everything", is_flag=True, help="Also rejected and posted drafts.")
@click.option("--publication", metavar="NAME", default="", help="Only this publication's drafts.")
@click.pass_context
def drafts(ctx: click.Context, as_json: bool, everything: bool, publication: str) -> None:
    """Drafts waiting for review: list them, or show, edit, approve or reject one."""
    if ctx.invoked_subcommand is None:
        from bot.cli.drafts import list_command

        sys.exit(list_command(_settings(), json_out=as_json, everything=everything, publication=publication))


@drafts.command("show")
@click.argument("draft_id", metavar="ID")
def drafts_show(draft_id: str) -> None:
    """The draft's thread, alt text and history."""
    from bot.cli.drafts import show_command

    sys.exit(show_command(_settings(), draft_id))


@drafts.command("edit")
@click.argument("draft_id", metavar="ID")
@click.option("--tweet", type=int, metavar="N", help="Which tweet --text replaces (1 is the first).")
@click.option("--text", metavar="TEXT", help="The tweet's new text (checked like a model's tweet).")
@click.option("--alt", metavar="TEXT", help="The image's new alt text.")
@click.option("--network", type=_Networks(), default=_Primary(), show_default=True,
              help="Whose thread --tweet N is in (each network has its own, counted its own way).")
def drafts_edit(draft_id: str, tweet: int | None, text: str | None, alt: str | None, network: str) -> None:
    """Change a post of one network's thread, or the alt text; refused with one line if a check fails."""
    from bot.cli.drafts import edit_command

    sys.exit(edit_command(_settings(), draft_id, tweet, text, alt, network))


@drafts.command("approve")
@click.argument("draft_id", metavar="ID")
@click.option("--at", metavar="ISO-8601", help="Publish at this time (the daemon does it) instead of now.")
def drafts_approve(draft_id: str, at: str | None) -> None:
    """Publish the draft now, exactly once (or at --at)."""
    from bot.cli.drafts import approve_command

    sys.exit(approve_command(_settings(), draft_id, at))


@drafts.command("reject")
@click.argument("draft_id", metavar="ID")
def drafts_reject(draft_id: str) -> None:
    """Drop the draft: never posted, never prepared again."""
    from bot.cli.drafts import reject_command

    sys.exit(reject_command(_settings(), draft_id))


@cli.command()
def check() -> None:
    """Validate the settings and, where credentials are set, that they work."""
    from bot.cli.checks import check_command

    sys.exit(check_command(_settings()))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--limit", default=50, show_default=True, help="How many entries.")
@click.option("--publication", metavar="NAME", default="", help="Only this publication's entries.")
def history(as_json: bool, limit: int, publication: str) -> None:
    """Entries seen and what became of them, with tweet ids."""
    from bot.cli.history import history_command

    sys.exit(history_command(_settings(), as_json=as_json, limit=limit, publication=publication))


@cli.command()
@click.argument("entry")
@click.option("--not-posted", is_flag=True,
              help="The entry is held (a post's outcome could not be read back) and you saw it is not there: "
                   "release it so the next run sends it.")
def retry(entry: str, not_posted: bool) -> None:
    """Make a failed entry eligible again (by key, link or guid)."""
    from bot.cli.history import retry_command

    sys.exit(retry_command(_settings(), entry, not_posted=not_posted))


def _fail(message: str, code: int) -> NoReturn:
    _say(f"bot: {message}")
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script: run the CLI, turning errors into one line and an exit code."""
    try:
        cli.main(args=argv, prog_name="bot", standalone_mode=False)
    except click.exceptions.Abort:
        _fail("aborted", 130)
    except click.exceptions.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except BotError as exc:
        _fail(f"error: {_redact(str(exc))}", exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except Exception as exc:  # a bug, not a user's mistake: still one line unless asked for the traceback
        if os.environ.get("BOT_DEBUG"):
            raise
        _fail(f"internal error: {type(exc).__name__}: {_redact(str(exc))} (set BOT_DEBUG=1 for the traceback, "
              "and please report it)", INTERNAL_EXIT)


def _redact(text: str) -> str:
    """Secret values from the environment never reach the terminal, whatever the error says."""
    from bot.core.options import SECRETS
    from bot.core.settings import Secrets, read_env

    env = read_env()
    return Secrets({k: env[k] for k in SECRETS if env.get(k)}).redact(text)  # also all this process has seen
