"""Wiring: settings → writer, image chain, publisher, store. `--dry-run` is decided here and nowhere else."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.core.clock import Clock, SystemClock
from bot.core.errors import ConfigError
from bot.core.settings import DEFAULT, Settings
from bot.images.chain import ImageChain
from bot.networks import registry
from bot.networks.base import Publisher
from bot.run.pipeline import Deps, offline_writer

if TYPE_CHECKING:  # a dry run imports no bot.state (tests/cli/test_startup.py)
    from bot.state.store import Store
    from bot.writing.offline import Writer


def uses_model(settings: Settings) -> bool:
    """True when the model writer is chosen: explicitly, or (auto) when a token or an endpoint is set."""
    backend = settings.writer.backend
    if backend == "auto":
        return bool(settings.secrets.get("HF_TOKEN") or settings.writer.base_url)
    return bool(backend == "hf")


def build_writer(settings: Settings, clock: Clock, on_text: Callable[[str], None] | None = None) -> Writer:
    """The model writer when configured, else the offline extractive writer."""
    if not uses_model(settings):
        return offline_writer()
    if not (settings.secrets.get("HF_TOKEN") or settings.writer.base_url):
        raise ConfigError("writer.backend is hf but neither HF_TOKEN nor BOT_LLM_BASE_URL is set",
                          "set HF_TOKEN in the environment, point BOT_LLM_BASE_URL at a server, or use writer.backend = \"extractive\"")
    from bot.writing.model import HFWriter  # the model writer's prompts and answer parsing: only when a model writes

    return HFWriter(settings, settings.secrets, clock, on_text=on_text)


def missing_credentials(settings: Settings, network: str) -> list[str]:
    """The environment variables `network`'s account of this publication still needs, by their full names
    (X_API_KEY for the default account, X_API_KEY__ACME for the account ACME)."""
    account = settings.account(network)
    missing = registry.get(network).missing(settings.for_account(network))
    return missing if account == DEFAULT else [f"{name}__{account.upper()}" for name in missing]


def require_credentials(settings: Settings, network: str) -> None:
    """Raise ConfigError naming every missing setting and credential `network` needs to publish."""
    found = registry.get(network)
    missing = missing_credentials(settings, network)
    if missing:
        account = settings.account(network)
        whose = "" if account == DEFAULT else f" (account {account} of publication {settings.publication})"
        raise ConfigError(f"missing {found.name} {found.needs}{whose}: {', '.join(missing)}",
                          "set them in the environment or .env (use `bot post --dry-run` to try without posting)")


def build_publisher(settings: Settings, clock: Clock, dry_run: bool,
                    should_stop: Callable[[], bool] | None = None, network: str = registry.PRIMARY,
                    store: Store | None = None) -> Publisher:
    """One network's publisher with checked credentials, or its dry-run stand-in.

    `should_stop` is the daemon's shutdown probe: each publisher checks it between posts, so SIGTERM
    ends a thread at a checkpoint the next poll resumes from. `store`: where a network keeps what it keeps
    between runs (a session; None: its own file).
    """
    found = registry.get(network)
    if dry_run:
        return found.dry_run(settings.for_account(network), clock)
    require_credentials(settings, network)
    return found.publisher(settings.for_account(network), clock, should_stop, store)


def build_publishers(settings: Settings, clock: Clock, dry_run: bool,
                     should_stop: Callable[[], bool] | None = None, store: Store | None = None) -> tuple[Publisher, ...]:
    """A publisher for every network in `networks`, in order; one ConfigError naming every missing credential."""
    problems: list[ConfigError] = []
    publishers: list[Publisher] = []
    for network in settings.networks:
        try:
            publishers.append(build_publisher(settings, clock, dry_run, should_stop, network, store))
        except ConfigError as exc:
            problems.append(exc)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ConfigError("; ".join(p.message for p in problems), "; ".join(dict.fromkeys(p.hint for p in problems)))
    return tuple(publishers)


Status = Callable[[str], None]


def for_preview(settings: Settings, *, on_text: Status | None = None, on_status: Status | None = None) -> Deps:
    """`bot post --dry-run`: every network's dry-run publisher (Mastodon's reads the instance's limits), no store."""
    return build(settings, dry_run=True, on_text=on_text, on_status=on_status, store=None)


def for_drafting(settings: Settings, *, store: Store, on_text: Status | None = None,
                 on_status: Status | None = None) -> Deps:
    """A draft for review: fitted for every network, publishing nothing, so it needs no network's credentials."""
    return build(settings, dry_run=True, on_text=on_text, on_status=on_status, store=store)


def for_publishing(settings: Settings, *, store: Store, clock: Clock | None = None, on_text: Status | None = None,
                   on_status: Status | None = None, should_stop: Callable[[], bool] | None = None) -> Deps:
    """Publishing (`bot post`, the daemon, /api/poll, an approved draft): real publishers, credentials checked now."""
    return build(settings, dry_run=False, clock=clock, on_text=on_text, on_status=on_status, store=store,
                 should_stop=should_stop)


def build(settings: Settings, *, dry_run: bool, clock: Clock | None = None,
          on_text: Callable[[str], None] | None = None,
          on_status: Callable[[str], None] | None = None, store: Store | None = None,
          should_stop: Callable[[], bool] | None = None) -> Deps:
    """All the pipeline's dependencies for these settings (`should_stop`: see build_publisher)."""
    clock = clock or SystemClock()
    status = on_status or (lambda message: None)
    writer = build_writer(settings, clock, on_text)
    fallback = offline_writer() if writer.name != "extractive" and settings.writer.offline_fallback else None
    publishers = build_publishers(settings, clock, dry_run, should_stop, store)
    return Deps(
        settings=settings,
        writer=writer,
        images=ImageChain(settings, settings.secrets, clock),  # its lines reach the user through logging
        publisher=publishers[0],
        clock=clock,
        fallback_writer=fallback,
        store=store,
        on_status=status,
        publishers=publishers,
    )
