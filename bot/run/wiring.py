"""Wiring: settings → writer, image chain, publisher, store. `--dry-run` is decided here and nowhere else."""

from __future__ import annotations

from typing import Any, Callable

from bot.core.clock import Clock, SystemClock
from bot.core.errors import ConfigError
from bot.run.pipeline import Deps, offline_writer
from bot.core.settings import Settings
from bot.writing.model import HFWriter
from bot.networks.base import DryRunPublisher
from bot.networks.x.client import XClient
from bot.networks.x.thread import XPublisher
from bot.images.chain import ImageChain
from bot.networks.base import Publisher
from bot.networks.bluesky.length import COUNTER as BLUESKY_COUNTER
from bot.networks.bluesky.client import BlueskyClient
from bot.networks.bluesky.thread import BlueskyPublisher
from bot.networks.mastodon.client import MastodonClient
from bot.networks.mastodon.thread import MastodonPublisher

X_CREDENTIALS = ("X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET")
BLUESKY_CREDENTIALS = ("BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD")
MASTODON_CREDENTIALS = ("MASTODON_ACCESS_TOKEN",)


def uses_model(settings: Settings) -> bool:
    """True when the model writer is chosen: explicitly, or (auto) when a token or an endpoint is set."""
    backend = settings.writer.backend
    if backend == "auto":
        return bool(settings.secrets.get("HF_TOKEN") or settings.writer.base_url)
    return bool(backend == "hf")


def build_writer(settings: Settings, clock: Clock, on_text: Callable[[str], None] | None = None) -> Any:
    """The model writer when configured, else the offline extractive writer."""
    if not uses_model(settings):
        return offline_writer()
    if not (settings.secrets.get("HF_TOKEN") or settings.writer.base_url):
        raise ConfigError("writer.backend is hf but neither HF_TOKEN nor BOT_LLM_BASE_URL is set",
                          "set HF_TOKEN in the environment, point BOT_LLM_BASE_URL at a server, or use writer.backend = \"extractive\"")
    return HFWriter(settings, settings.secrets, clock, on_text=on_text)


def require_x_credentials(settings: Settings) -> None:
    """Raise ConfigError naming every missing X credential."""
    missing = [name for name in X_CREDENTIALS if not settings.secrets.get(name)]
    if missing:
        raise ConfigError(f"missing X credentials: {', '.join(missing)}",
                          "set them in the environment or .env (use `bot post --dry-run` to try without posting)")


def build_publisher(settings: Settings, clock: Clock, dry_run: bool,
                    should_stop: Callable[[], bool] | None = None, network: str = "x", store: Any = None) -> Publisher:
    """One network's publisher with checked credentials, or its dry-run stand-in.

    `should_stop` is the daemon's shutdown probe: each publisher checks it between posts, so SIGTERM
    ends a thread at a checkpoint the next poll resumes from. `store`: where a Bluesky session is kept (None: the
    file of bluesky.session_file).
    """
    if network == "bluesky":
        return _bluesky(settings, clock, dry_run, should_stop, store)
    if network == "mastodon":
        return _mastodon(settings, clock, dry_run, should_stop)
    if dry_run:
        return DryRunPublisher()
    require_x_credentials(settings)
    client = XClient(settings, settings.secrets, clock, should_stop=should_stop)  # a 429 wait ends at a stop too
    return XPublisher(client, settings, clock, should_stop=should_stop)


def build_publishers(settings: Settings, clock: Clock, dry_run: bool,
                     should_stop: Callable[[], bool] | None = None, store: Any = None) -> tuple[Publisher, ...]:
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


def _bluesky(settings: Settings, clock: Clock, dry_run: bool, should_stop: Callable[[], bool] | None,
             store: Any = None) -> Publisher:
    if dry_run:
        return DryRunPublisher("bluesky", BLUESKY_COUNTER)
    require(settings, "Bluesky", BLUESKY_CREDENTIALS)
    keeper = store.kept_sessions() if store is not None else None  # the session lives with the bot's other state
    return BlueskyPublisher(settings, clock, should_stop=should_stop, client=BlueskyClient(settings, clock, keeper))


def _mastodon(settings: Settings, clock: Clock, dry_run: bool, should_stop: Callable[[], bool] | None) -> Publisher:
    if dry_run:
        # The instance's limits, read when the thread is first fitted: GET /api/v2/instance is public, so the
        # dry run sends no token, does not retry, and falls back to 500/23 with one line when it cannot read it.
        reader = MastodonPublisher(settings, clock, client=MastodonClient.reader(settings, clock))
        return DryRunPublisher("mastodon", reader.counter)
    missing = [] if settings.mastodon.base_url else ["MASTODON_BASE_URL"]
    missing += [n for n in MASTODON_CREDENTIALS if not settings.secrets.get(n)]
    if missing:
        raise ConfigError(f"missing Mastodon settings: {', '.join(missing)}",
                          "set them in the environment or .env (use `bot post --dry-run` to try without posting)")
    return MastodonPublisher(settings, clock, should_stop=should_stop)


def require(settings: Settings, label: str, names: tuple[str, ...]) -> None:
    """Raise ConfigError naming every missing credential of one network."""
    missing = [name for name in names if not settings.secrets.get(name)]
    if missing:
        raise ConfigError(f"missing {label} credentials: {', '.join(missing)}",
                          "set them in the environment or .env (use `bot post --dry-run` to try without posting)")


Status = Callable[[str], None]


def for_preview(settings: Settings, *, on_text: Status | None = None, on_status: Status | None = None) -> Deps:
    """`bot post --dry-run`: every network's dry-run publisher (Mastodon's reads the instance's limits), no store."""
    return build(settings, dry_run=True, on_text=on_text, on_status=on_status, store=None)


def for_drafting(settings: Settings, *, store: Any, on_text: Status | None = None,
                 on_status: Status | None = None) -> Deps:
    """A draft for review: fitted for every network, publishing nothing, so it needs no network's credentials."""
    return build(settings, dry_run=True, on_text=on_text, on_status=on_status, store=store)


def for_publishing(settings: Settings, *, store: Any, clock: Clock | None = None, on_text: Status | None = None,
                   on_status: Status | None = None, should_stop: Callable[[], bool] | None = None) -> Deps:
    """Publishing (`bot post`, the daemon, /api/poll, an approved draft): real publishers, credentials checked now."""
    return build(settings, dry_run=False, clock=clock, on_text=on_text, on_status=on_status, store=store,
                 should_stop=should_stop)


def build(settings: Settings, *, dry_run: bool, clock: Clock | None = None,
          on_text: Callable[[str], None] | None = None,
          on_status: Callable[[str], None] | None = None, store: Any = None,
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
