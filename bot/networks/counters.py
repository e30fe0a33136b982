"""Each network's Counter by name, rebuilt from what a saved thread records (its limit and what a link counts),
so a thread edited after it was fitted (a draft in review) is measured exactly as its network measures it."""

from __future__ import annotations

import dataclasses

from bot.core.records import Article
from bot.networks.bluesky.length import COUNTER as BLUESKY
from bot.networks.mastodon.length import URL_CHARACTERS
from bot.networks.mastodon.length import counter as mastodon_counter
from bot.tweets.length import X, Counter

# How each network counts, in the words a refusal uses.
RULES = {"x": "X counts each link as 23, CJK and emoji as 2",
         "bluesky": "Bluesky counts characters as you see them, links in full",
         "mastodon": "Mastodon counts characters as you see them, each link as {url}"}


def counter_for(network: str, limit: int = 0, url_weight: int = 0) -> Counter:
    """The Counter of `network` with the limit (and, for Mastodon, the per-link count) its saved thread records."""
    if network == "bluesky":
        return BLUESKY
    if network == "mastodon":
        return mastodon_counter(limit or 500, url_weight or URL_CHARACTERS)
    return X


def rule(counter: Counter) -> str:
    """How the counter's network counts, for a message beside a post that is too long."""
    return RULES.get(counter.network, "").format(url=counter.url_weight)


# Networks on which the article's X handles are somebody else's: Mastodon makes a bare @name a mention of its own
# instance's account of that name (ProcessMentionsService finds it locally, links it and notifies it), whoever
# that is; Bluesky leaves a handle without a domain as plain text, and X's handles are the article's own.
NO_X_HANDLES = frozenset({"mastodon"})


def article_for(network: str, article: Article) -> Article:
    """The article as `network`'s posts may quote it: on Mastodon with no handle to keep (hygiene removes them)."""
    return dataclasses.replace(article, mentions=frozenset()) if network in NO_X_HANDLES else article
