"""One entry through every stage: Entry → Article → Draft → checked Thread → (published) PostedThread."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.clock import Clock
from bot.core.errors import AuthError, ImageError, StoreError, WriterError
from bot.core.records import (
    Article,
    Draft,
    Entry,
    Image,
    ModelCall,
    NetworkThread,
    Thread,
    ThreadSpec,
    Tweet,
    WriterInfo,
)
from bot.core.settings import Settings
from bot.feed import article as article_stage
from bot.images.chain import MAX_ALT_TEXT, Illustrator, alt_for, default_prompt
from bot.networks import registry
from bot.networks.base import Publisher
from bot.networks.registry import PRIMARY, article_for, counter_for
from bot.tweets import shape
from bot.tweets.grounding import gate
from bot.tweets.length import Counter
from bot.writing.offline import ExtractiveWriter, Writer

if TYPE_CHECKING:  # the store pulls in SQLAlchemy; a dry run never opens one
    from bot.state.store import Store

log = logging.getLogger(__name__)


@dataclass
class Deps:
    """Everything the pipeline needs, chosen once where the app is wired (app.py)."""

    settings: Settings
    writer: Writer
    images: Illustrator
    publisher: Publisher
    clock: Clock
    fallback_writer: Writer | None = None
    store: Store | None = None  # None for a dry run
    on_status: Callable[[str], None] = field(default=lambda message: None)
    # One publisher per configured network, in order; empty: `publisher` alone, as X's.
    publishers: tuple[Publisher, ...] = ()

    def networks(self) -> tuple[tuple[str, Publisher], ...]:
        """(network, publisher) for every configured network."""
        if self.publishers:
            return tuple((p.network, p) for p in self.publishers)
        return ((self.publisher.network, self.publisher),)

    def counters(self) -> tuple[Counter, ...]:
        """How each configured network measures a post (one may ask its server, once)."""
        return tuple(p.counter() for _, p in self.networks())

    @property
    def db(self) -> Store:
        """The store, which publishing and polling need (only a dry run has none)."""
        if self.store is None:
            raise StoreError("publishing needs a store, and none was opened", "this is a bug: please report it")
        return self.store


def thread_spec(settings: Settings) -> ThreadSpec:
    """The [thread] settings as the record the writer and the shaper take."""
    t = settings.thread
    return ThreadSpec(tweets=t.tweets, numbering=t.numbering, link=t.link, utm=t.utm,
                      hashtags=t.hashtags, language=t.language, voice=t.voice)


def _draft(article: Article, spec: ThreadSpec, deps: Deps) -> tuple[Draft, Writer]:
    """The writer's draft, or the offline writer's when the model fails and the settings allow it."""
    deps.on_status(f"writing the thread ({deps.writer.name})")
    try:
        return deps.writer.write(article, spec), deps.writer
    except AuthError:
        raise
    except WriterError as exc:
        if deps.fallback_writer is None:
            raise
        reason = f"model writer failed ({exc}); wrote the thread offline from the article instead"
        log.warning(reason)
        draft = deps.fallback_writer.write(article, spec)
        calls = exc.calls
        info = WriterInfo(draft.writer.backend, draft.writer.model, draft.writer.calls + len(calls),
                          (*exc.fallbacks, reason))
        return Draft(draft.tweets, draft.image_prompt, draft.alt_text, info, calls), deps.fallback_writer


def prepare(entry: Entry, deps: Deps, out_dir: Path) -> Thread:
    """Write, check and illustrate the thread for one entry; the image lands in out_dir."""
    article = article_stage.read_article(entry)
    spec = thread_spec(deps.settings)
    draft, writer = _draft(article, spec, deps)
    before = len(writer.calls)

    def rewrite(text: str, budget: int) -> str | None:
        return writer.rewrite(text, budget, article)

    # The offline writer's tweets stand by: one takes the place of a tweet hygiene leaves with nothing whole.
    offline = ExtractiveWriter().write(article, spec).tweets if writer.name != "extractive" else draft.tweets
    spares = (*offline[1:], *offline[:1])  # body passages first: the title belongs at the top
    revised: dict[tuple[str, str], str | None] = {}

    def revise(text: str, problem: str, budget: int) -> str | None:
        if (text, problem) not in revised:  # once per tweet, however many networks it is fitted to
            revised[(text, problem)] = writer.revise(text, problem, budget, article)
        return revised[(text, problem)]

    attempts = deps.settings.writer.rewrite_attempts
    fitted, notes = fit_networks(draft, article, spec, deps.counters(), rewrite, attempts, spares, revise,
                                 settings=deps.settings)
    primary = [t.tweets for t in fitted if t.network == PRIMARY]
    tweets = primary[0] if primary else \
        shape.check(draft, article, spec, spares=spares, counter=counter_for(PRIMARY))[0]  # thread.json's are X's
    rewrites: tuple[ModelCall, ...] = tuple(writer.calls[before:])
    deps.on_status("making the image")
    prompt = gate.image_prompt(draft.image_prompt or default_prompt(article), article)
    notes = (*notes, *(f"image prompt: {r}" for r in prompt.reasons))
    try:
        image = deps.images.make(article, prompt.text, draft.alt_text, out_dir)
    except ImageError as exc:
        log.warning("no image: %s", exc)
        notes = (*notes, f"no image: {exc}")
        image = Image(None, alt_text=draft.alt_text, prompt=prompt.text, source="none")
    image, alt_notes = _clean_alt(image, article)
    notes = (*notes, *alt_notes)
    info = draft.writer
    writer_info = WriterInfo(info.backend, info.model, info.calls + len(rewrites), info.fallbacks)
    calls = (*draft.calls, *rewrites, *deps.images.calls)
    return Thread(article, tweets, image, writer_info, calls, (*article.notes, *info.fallbacks, *notes),
                  networks=fitted, draft=tuple(draft.tweets))


def fit_networks(draft: Draft, article: Article, spec: ThreadSpec, counters: tuple[Counter, ...],
                 rewrite: Callable[[str, int], str | None] | None = None,
                 attempts: int = 2, spares: Sequence[str] = (), revise: shape.Revise | None = None,
                 settings: Settings | None = None) -> tuple[tuple[NetworkThread, ...], tuple[str, ...]]:
    """The one draft fitted to every network, each by its own count and limit, in the order given.

    X is fitted first when configured, so its notes read as before; another network's notes are added, with
    the network's name, only where they differ. With `settings`, a network that publishes its thread as
    something else (one post: Network.compose) composes it here, so what is saved is what goes out.
    """
    counters = counters or (counter_for(PRIMARY),)
    ordered = sorted(counters, key=lambda c: c.network != PRIMARY)
    fitted: list[NetworkThread] = []
    notes: list[str] = []
    for counter in ordered:
        quoted = article_for(counter.network, article)
        tweets, these = shape.check(draft, quoted, spec, rewrite=rewrite,
                                    attempts=attempts, spares=spares, counter=counter, revise=revise)
        if settings is not None:
            tweets, composed = compose(counter, tweets, quoted, settings)
            these = (*these, *composed)
        first = not fitted
        fitted.append(NetworkThread(counter.network, tweets, counter.limit, counter.url_weight))
        notes += [n if first else f"{counter.network}: {n}" for n in these if n not in notes]
    order = [c.network for c in counters]
    return tuple(sorted(fitted, key=lambda t: order.index(t.network))), tuple(notes)


def compose(counter: Counter, tweets: tuple[Tweet, ...], article: Article,
            settings: Settings) -> tuple[tuple[Tweet, ...], tuple[str, ...]]:
    """The network's fitted posts as it publishes them (registry.compose), each composed post through the last
    gate again (gate.recheck: a post made of gated posts passes unchanged) and measured by its network."""
    made, notes = registry.compose(counter.network, tweets, article, settings, counter)
    if made is tweets:
        return tweets, notes
    out = []
    for tweet in made:
        text = gate.recheck(tweet.text, article, counter)
        length = counter(text)
        if length > counter.limit:
            raise WriterError(f"a composed {counter.network} post is over its limit ({length}/{counter.limit})",
                              hint="this is a bug in its network's compose; please report it with the article's link")
        out.append(Tweet(text, length, tweet.evidence))
    return tuple(out), notes


def _clean_alt(image: Image, article: Article) -> tuple[Image, tuple[str, ...]]:
    """The image's alt text through the last gate (bot.tweets.grounding.gate: hygiene and grounding) within X's 1000
    characters; when nothing whole is left, the title card's description of the article takes its place."""
    if not image.alt_text.strip():
        return image, ()
    out = gate.alt_text(image.alt_text, article, MAX_ALT_TEXT)
    text, notes = out.text, [f"alt text: {r}" for r in out.reasons]
    if not text:
        text = gate.alt_text(alt_for("card", article, ""), article, MAX_ALT_TEXT).text
        notes.append("alt text: nothing whole was left; described the article instead")
    return replace(image, alt_text=text), tuple(notes)


def offline_writer() -> Writer:
    """The writer that needs no model."""
    return ExtractiveWriter()
