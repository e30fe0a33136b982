"""`bot check`: is the bot ready? Settings, feeds, the writer (a self-hosted model server is asked), credentials
(tried, where set: each network's own probe (networks/<name>/network.py), Hugging Face `whoami`),
database and schedule (daemon.describe)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import click

from bot.core import download
from bot.core.errors import AuthError, BotError, StoreError, redact
from bot.core.settings import DEFAULT, DEFAULT_CONFIG, Settings
from bot.feed import source as feed_source
from bot.networks import registry
from bot.networks.network import Network
from bot.run.daemon import describe
from bot.run.wiring import missing_credentials, uses_model
from bot.state.database import describe_database, normalise_url
from bot.state.store import Store

MODELS_MAX_BYTES = 5_000_000  # the model list a server may send the check


def _try(label: str, probe: Callable[[], str], problems: list[str], *, hide: bool = True) -> None:
    """Run one probe; its success line (redacted: an answer may echo the request), or its failure as one problem
    line. `hide=False` keeps the line whole where a network's line is there to name the account (by a handle that is
    hidden whole everywhere else) and its probe does not echo the request (Network.shows_account)."""
    try:
        found = probe()
        click.echo(f"ok: {label}: {redact(found) if hide else found}")
    except BotError as exc:
        problems.append(f"{label}: {exc}")
    except Exception as exc:  # a probe must never crash the report
        problems.append(f"{label}: {type(exc).__name__}: {exc}")


def _hf_whoami(settings: Settings) -> str:
    try:
        from huggingface_hub import whoami

        info = whoami(token=settings.secrets.get("HF_TOKEN"))
    except Exception as exc:
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if status == 401:
            raise AuthError("Hugging Face rejected HF_TOKEN (401)", "create a token at huggingface.co/settings/tokens and set HF_TOKEN") from None
        raise BotError(f"Hugging Face whoami failed: {type(exc).__name__}", "check the network and HF_TOKEN") from None
    return f"Hugging Face token of {info.get('name', '?')}"


def _model_server(settings: Settings) -> str:
    """GET {base}/v1/models (or {base}/models when the base ends in /v1) on the OpenAI-compatible server.

    Tolerant, since servers differ: any answer but a refused key (401/403) or a server error (5xx) counts as up
    (llama.cpp, vLLM, Ollama and recent TGI list their models there; others may answer 404). Only
    BOT_LLM_API_KEY is sent: the Hugging Face token never goes to another server (the design notes).
    """
    import json

    base = settings.writer.base_url.rstrip("/")
    path = "/models" if base.endswith("/v1") else "/v1/models"
    key = settings.secrets.get("BOT_LLM_API_KEY")
    headers = {"Accept": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
    timeout = min(10.0, float(settings.writer.timeout))
    hint = "check BOT_LLM_BASE_URL and that the server is running"
    try:  # one deadline for the whole answer: a server sending a byte at a time cannot hold the check (download.py)
        # No redirect is followed: it would carry BOT_LLM_API_KEY to wherever the server points.
        response = download.get(base + path, timeout=timeout, max_bytes=MODELS_MAX_BYTES, headers=headers,
                                max_redirects=0)
    except download.WebError as exc:
        if exc.kind in ("deadline", "timeout"):
            raise BotError(f"the model server at {base} did not answer within {timeout:g} s", hint) from None
        if exc.kind == "redirects":
            raise BotError(f"the model server at {base} redirects GET {path} elsewhere",
                           "set BOT_LLM_BASE_URL to the address it redirects to") from None
        why = {"unreachable": "ConnectionError", "broken": "ConnectionError", "tls": "SSLError"}.get(exc.kind, exc.kind)
        raise BotError(f"cannot reach the model server at {base} ({why})", hint) from None
    status = response.status
    if status in (401, 403):
        raise AuthError(f"the model server at {base} refused the request ({status})",
                        "set BOT_LLM_API_KEY to a key it accepts" if not key else "check BOT_LLM_API_KEY")
    if status >= 500:
        raise BotError(f"the model server at {base} answered {status} to GET {path}",
                       "it may still be loading the model; check its logs")
    models: list[str] = []
    if status == 200:
        try:
            found = json.loads(response.body)
            models = [str(m.get("id")) for m in found.get("data", []) if isinstance(m, dict) and m.get("id")]
        except (ValueError, AttributeError):
            models = []
    if not models:
        return f"OpenAI-compatible server at {base} answers (HTTP {status} on GET {path})"
    model = settings.writer.model
    if model in models:
        return f"OpenAI-compatible server at {base} serves {model}"
    shown = ", ".join(models[:3]) + (f" and {len(models) - 3} more" if len(models) > 3 else "")
    return (f"OpenAI-compatible server at {base} serves {shown} (writer.model {model} is not among them; "
            "servers that run one model ignore the name)")


def _writer(settings: Settings, problems: list[str]) -> None:
    """Which writer `bot post` will use, and (for a self-hosted server) whether it answers."""
    if not uses_model(settings):
        why = "writer.backend = extractive" if settings.writer.backend == "extractive" else \
            "set HF_TOKEN or BOT_LLM_BASE_URL for a model"
        click.echo(f"ok: writer: offline extractive writer ({why})")
    elif settings.writer.base_url:
        _try("writer", lambda: _model_server(settings), problems)
    elif not settings.secrets.get("HF_TOKEN"):
        problems.append("writer: writer.backend is hf but neither HF_TOKEN nor BOT_LLM_BASE_URL is set — set one, "
                        "or use writer.backend = \"extractive\"")
    # else: the model is on Hugging Face, and the whoami line below checks the token


def _uses_hf(settings: Settings) -> bool:
    """True when Hugging Face itself gets HF_TOKEN: the model writer without a base_url, or HF images without one.

    With BOT_LLM_BASE_URL (and no HF images) whoami is skipped: it needs huggingface.co, and nothing would use it.
    """
    writer = uses_model(settings) and not settings.writer.base_url
    images = "hf" in settings.image.chain and not settings.image.base_url
    return writer or images


def _store(settings: Settings) -> str:
    url = settings.secrets.get("DATABASE_URL") or None
    store = Store.open_existing(url, settings)  # a check reads: it creates no file and no schema
    if store is None:
        where = describe_database(url, settings)
        unusable = _sqlite_unusable(url, settings)
        if unusable:
            raise StoreError(unusable, "point store.sqlite_path (or DATABASE_URL=sqlite:///PATH) at a file the bot may create")
        return f"{where}: nothing recorded yet (the first `bot post` or `bot run` creates it)"
    try:
        return store.health()
    finally:
        store.close()


def _sqlite_unusable(url: str | None, settings: Settings) -> str:
    """Why the SQLite file cannot be created where the settings put it ("" when it can, or for another database)."""
    from sqlalchemy.engine import make_url

    full = normalise_url(url, settings.store.sqlite_path)
    database = make_url(full).database if full.startswith("sqlite") else ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return ""
    path = Path(database).expanduser()
    if path.is_dir():
        return f"the SQLite database {path} is a directory, not a file"
    if path.exists() and not path.is_file():
        return f"the SQLite database {path} is not a regular file (a FIFO, socket or device)"
    if path.is_symlink() and not path.exists():  # SQLite follows the link and creates no folder on its way
        target = Path(os.path.realpath(path))
        if not target.parent.is_dir():
            return f"the SQLite database {path} is a link to {target}, whose folder {target.parent} does not exist"
    folder = next((p for p in path.parents if p.exists()), None)
    if folder is not None and not folder.is_dir():
        return f"the SQLite database {path} cannot be created: {folder} is a file, not a folder"
    if folder is not None and not os.access(folder, os.W_OK | os.X_OK):
        return f"the SQLite database {path} cannot be created: the folder {folder} is not writable"
    return ""


def _feed(settings: Settings, url: str) -> str:
    """Fetch one feed as a poll would (same limits); its title, how many entries and the newest."""
    f = settings.feed
    result = feed_source.fetch(url, timeout=f.timeout, user_agent=f.user_agent, max_bytes=f.max_bytes)
    found = f"{result.title or 'untitled'!r}, {len(result.entries)} entries"
    if result.entries:
        newest = feed_source.select(result.entries, "latest")
        when = f" ({newest.published:%Y-%m-%d})" if newest.published else ""
        found += f", newest {newest.title[:80]!r}{when}"
    warnings = f"; warning: {result.warnings[0]}" if result.warnings else ""
    return found + warnings


def _open_existing(settings: Settings) -> Store | None:
    """The bot's database when it exists (a probe reads what a network keeps there); None when there is none yet."""
    try:
        return Store.open_existing(settings.secrets.get("DATABASE_URL") or None, settings)  # creates nothing
    except StoreError:
        return None  # the database line reports its problems


def _networks(settings: Settings, problems: list[str]) -> None:
    """Each publication's account on each of its networks, tried once by that network's probe (X GET /2/users/me,
    ...); an account two publications share is tried once. With only the implicit publication, one line a network."""
    tried: set[tuple[str, str]] = set()
    single = len(settings.publications) == 1 and settings.publications[0].name == DEFAULT
    for publication in settings.publications:
        mine = settings.of_publication(publication.name)
        for network in mine.networks:
            found, account = registry.get(network), mine.account(network)
            if (network, account) in tried:
                continue
            tried.add((network, account))
            label = network if single else f"publication {publication.name}: {network} account {account}"
            try:
                missing = missing_credentials(mine, network)
            except BotError as exc:  # a setting that is set but unusable: one line naming it
                problems.append(f"{label}: {exc}")
                continue
            if missing:
                problems.append(f"{label}: missing {', '.join(missing)} — set them in the environment or .env to publish")
            else:
                theirs = mine.for_account(network)
                def probe(found: Network = found, theirs: Settings = theirs) -> str:
                    return found.check(theirs, lambda: _open_existing(theirs))

                _try(label, probe, problems, hide=not found.shows_account)


def check_command(settings: Settings) -> int:
    """Print one ok line per thing that works and one line per problem; 0 when ready to post."""
    problems: list[str] = []
    where = str(settings.config_file) if settings.config_file else \
        f"no settings file: defaults and the environment; none at {Path.cwd() / DEFAULT_CONFIG}, BOT_CONFIG unset"
    click.echo(f"ok: settings: valid ({where})")
    feeds = settings.feed.urls
    if feeds:
        for url in feeds:
            _try(f"feed {url}", lambda url=url: _feed(settings, url), problems)  # type: ignore[misc]
    else:
        problems.append("feeds: none configured — set BOT_FEED_URL (comma-separated) or feed.urls; "
                        "until then `bot post --dry-run` uses the bundled sample")
    secrets = settings.secrets
    _writer(settings, problems)
    if secrets.get("HF_TOKEN") and _uses_hf(settings):
        _try("hugging face", lambda: _hf_whoami(settings), problems)
    _networks(settings, problems)
    _try("database", lambda: _store(settings), problems)
    click.echo(f"ok: schedule: {describe(settings)}")
    for problem in problems:
        click.echo(f"problem: {settings.secrets.redact(problem)}", err=True)
    click.echo("ready." if not problems else f"not ready: {len(problems)} problem(s).", err=bool(problems))
    return 1 if problems else 0
