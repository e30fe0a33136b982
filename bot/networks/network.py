"""What the rest of the bot knows of one network: its descriptor, a frozen `Network`, which each folder of
`networks/` exports as `NETWORK` and `registry.py` lists once. Nothing outside `networks/` names a network; it asks
the registry (`registry.get(id)`, `registry.NETWORKS`) for these fields instead."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.clock import Clock
from bot.core.records import Article, Tweet
from bot.core.settings import Settings
from bot.networks.base import KeepingStore, Publisher
from bot.tweets.length import Counter

# (settings, clock, should_stop, store) -> the live publisher; `store` keeps what the network keeps between runs
# (Bluesky's session), None before a database exists.
LiveFactory = Callable[[Settings, Clock, "Callable[[], bool] | None", "KeepingStore | None"], Publisher]
DryFactory = Callable[[Settings, Clock], Publisher]
# (settings, open_store) -> the account the credentials name, one line ("X account @name (id 1)"); raises BotError.
# `open_store()` opens the bot's existing database (None when there is none yet); the probe closes what it opens.
Probe = Callable[[Settings, Callable[[], "KeepingStore | None"]], str]
# (the network's fitted posts, the article, settings, its counter) -> (the posts as the network publishes them,
# notes): a network that is not a thread (LinkedIn's one post) makes its piece once, right after fitting, so the
# plan, thread.json, the preview, the dry run and the review page all hold what is published. It only joins and
# drops what the gate passed (the pipeline passes each result through the gate again and measures it).
Compose = Callable[[tuple[Tweet, ...], Article, Settings, Counter], tuple[tuple[Tweet, ...], tuple[str, ...]]]


def _nothing_unset(settings: Settings) -> tuple[str, ...]:
    return ()


def _no_timeout(settings: Settings) -> float:
    return 0.0


def _no_expiry(settings: Settings) -> float | None:
    return None


@dataclass(frozen=True)
class Network:
    """One network, as the CLI, the pipeline, the review page and thread.json see it."""

    id: str  # "x": the `networks` setting's word, the ledger's and thread.json's `network`
    name: str  # "X": as a person reads it
    post_word: str  # "tweet" / "post": what one post is called there
    credentials: tuple[str, ...]  # environment names of its secrets, all required to publish
    counter: Callable[[int, int], Counter]  # (limit, url_weight) a saved thread records (0: the default) -> Counter
    rule: str  # how it counts, in the words a refusal uses; "{url}" is what a link counts
    check: Probe  # `bot check`'s probe of the credentials
    publisher: LiveFactory  # the live publisher (credentials already checked)
    dry_run: DryFactory  # the stand-in of `--dry-run` (Mastodon's asks its instance's limits, with no token)
    post_link: Callable[[str, str], tuple[str, str]]  # (post id, url saved with it) -> (label, href; "" for none)
    unset: Callable[[Settings], tuple[str, ...]] = _nothing_unset  # required settings left unset (env names)
    keeps_article_handles: bool = True  # False: an article's @handle names someone else there (hygiene drops them)
    needs: str = "credentials"  # what the missing-credentials message calls them ("missing X credentials: ...")
    timeout: Callable[[Settings], float] = _no_timeout  # seconds one request may take (the daemon's stall limit)
    shows_account: bool = False  # `bot check` prints the probe's line unredacted (it names the account on purpose)
    compose: Compose | None = None  # None: the fitted thread is what goes out, post for post
    # When its token ends (epoch seconds) as far as the bot knows, None when unknown or never; read only, for
    # /metrics (bot_token_expiry_seconds) beside `bot check`'s warning.
    token_expiry: Callable[[Settings], float | None] = _no_expiry

    def label(self, number: int) -> str:
        """How a message names one post: by the network's own word for it ("tweet 2" on X), or, where that word is
        the generic "post", by the network's name too, so the message says where ("Bluesky post 2")."""
        return f"{self.post_word} {number}" if self.post_word != "post" else f"{self.name} post {number}"

    def missing(self, settings: Settings) -> list[str]:
        """The settings and credentials still needed to publish, by environment name (required settings first)."""
        return [*self.unset(settings), *(n for n in self.credentials if not settings.secrets.get(n))]

    def article(self, article: Article) -> Article:
        """The article as this network's posts may quote it (without the author's handles where they name others)."""
        return article if self.keeps_article_handles else dataclasses.replace(article, mentions=frozenset())
