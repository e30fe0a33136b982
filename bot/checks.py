"""`bot check`: is the bot ready? Settings, feeds, credentials (tried, where set), database and schedule."""

from __future__ import annotations

from typing import Any, Callable

import click

X_CREDENTIALS = ("X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET")


def _try(label: str, probe: Callable[[], str], problems: list[str]) -> None:
    """Run one probe; its success line, or its failure as one problem line."""
    from .errors import BotError

    try:
        click.echo(f"ok: {label}: {probe()}")
    except BotError as exc:
        problems.append(f"{label}: {exc}")
    except Exception as exc:  # a probe must never crash the report
        problems.append(f"{label}: {type(exc).__name__}: {exc}")


def _hf_whoami(settings: Any) -> str:
    from .errors import AuthError, BotError

    try:
        from huggingface_hub import whoami

        info = whoami(token=settings.secrets.get("HF_TOKEN"))
    except Exception as exc:
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if status == 401:
            raise AuthError("Hugging Face rejected HF_TOKEN (401)", "create a token at huggingface.co/settings/tokens and set HF_TOKEN") from None
        raise BotError(f"Hugging Face whoami failed: {type(exc).__name__}", "check the network and HF_TOKEN") from None
    return f"Hugging Face token of {info.get('name', '?')}"


def _x_me(settings: Any) -> str:
    from .clock import SystemClock
    from .x_api import XClient

    me = XClient(settings, settings.secrets, SystemClock()).me()
    return f"X account @{me.get('username', '?')} (id {me.get('id', '?')})"


def _store(settings: Any) -> str:
    from .store import Store

    store = Store.open(settings.secrets.get("DATABASE_URL") or None, settings)
    try:
        return store.health()
    finally:
        store.close()


def check_command(settings: Any) -> int:
    """Print one ok line per thing that works and one line per problem; 0 when ready to post."""
    problems: list[str] = []
    where = settings.config_file or "defaults (no config/bot.toml)"
    click.echo(f"ok: settings: valid ({where})")
    feeds = settings.feed.urls
    if feeds:
        click.echo(f"ok: feeds: {len(feeds)} — " + ", ".join(feeds))
    else:
        problems.append("feeds: none configured — set BOT_FEED_URL (comma-separated) or feed.urls; "
                        "until then `bot post --dry-run` uses the bundled sample")
    secrets = settings.secrets
    if secrets.get("HF_TOKEN"):
        _try("hugging face", lambda: _hf_whoami(settings), problems)
    elif settings.writer.base_url:
        click.echo(f"ok: writer: OpenAI-compatible server at {settings.writer.base_url}")
    else:
        click.echo("ok: writer: offline extractive writer (set HF_TOKEN or BOT_LLM_BASE_URL for a model)")
    missing = [name for name in X_CREDENTIALS if not secrets.get(name)]
    if missing:
        problems.append(f"x: missing {', '.join(missing)} — set them in the environment or .env to publish")
    else:
        _try("x", lambda: _x_me(settings), problems)
    _try("database", lambda: _store(settings), problems)
    d = settings.daemon
    click.echo(f"ok: schedule: every {d.interval}s (+ up to {d.jitter}s jitter) per feed; first poll: {d.backlog}"
               f"{'; window ' + d.window + ' UTC' if d.window else ''}")
    for problem in problems:
        click.echo(f"problem: {settings.secrets.redact(problem)}", err=True)
    click.echo("ready." if not problems else f"not ready: {len(problems)} problem(s).", err=bool(problems))
    return 1 if problems else 0
