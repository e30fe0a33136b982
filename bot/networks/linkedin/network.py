"""LinkedIn as the rest of the bot sees it: the descriptor `NETWORK` (credentials, the author it needs, its counter,
`bot check` probe, publishers). The dry run says how the thread becomes one post."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable

from bot.core.clock import Clock, SystemClock
from bot.core.errors import ConfigError
from bot.core.records import Article, Gated, PostedThread, Thread, Tweet
from bot.core.settings import Settings
from bot.networks.base import Budget, DryRunPublisher, KeepingStore, Ledger, Publisher
from bot.networks.http import header_token, writable_file
from bot.networks.linkedin.client import LinkedInClient
from bot.networks.linkedin.length import COUNTER, MAX_CHARACTERS
from bot.networks.linkedin.post import LinkedInPublisher, one_piece, post_url
from bot.networks.linkedin.token import TokenAge, token_path
from bot.networks.network import Network
from bot.tweets.length import Counter

log = logging.getLogger(__name__)
CREDENTIALS = ("LINKEDIN_ACCESS_TOKEN",)
_AUTHOR = re.compile(r"urn:li:(?:person|organization):[A-Za-z0-9_-]+")
_VERSION = re.compile(r"20\d\d(?:0[1-9]|1[0-2])")  # LinkedIn-Version: YYYYMM


def _counter(limit: int = 0, url_weight: int = 0) -> Counter:
    return COUNTER  # fixed: 3,000 characters of escaped little text


def _unset(settings: Settings) -> tuple[str, ...]:
    """LINKEDIN_AUTHOR when it is not a member's or page's URN; ConfigError for a setting that is set but unusable."""
    header_token("LINKEDIN_ACCESS_TOKEN", settings.secrets.get("LINKEDIN_ACCESS_TOKEN") or "")
    version = str(settings.linkedin.api_version).strip()
    if not _VERSION.fullmatch(version):
        raise ConfigError(f"LINKEDIN_API_VERSION is {version[:20]!r}, not a month as YYYYMM",
                          "set LINKEDIN_API_VERSION (linkedin.api_version) like 202511")
    writable_file("BOT_LINKEDIN_TOKEN_FILE", token_path(settings))
    return () if _AUTHOR.fullmatch(str(settings.linkedin.author).strip()) else ("LINKEDIN_AUTHOR",)


def _check(settings: Settings, open_store: Callable[[], KeepingStore | None]) -> str:
    me = LinkedInClient(settings).userinfo()
    author, sub = str(settings.linkedin.author).strip(), str(me.get("sub") or "")
    if author.startswith("urn:li:person:") and sub and author != f"urn:li:person:{sub}":
        raise ConfigError(f"LINKEDIN_AUTHOR is {author} but LINKEDIN_ACCESS_TOKEN is the member urn:li:person:{sub}",
                          f"set LINKEDIN_AUTHOR=urn:li:person:{sub} (or a page's urn:li:organization:… you manage)")
    age = TokenAge(settings).warning(SystemClock().time())
    return f"LinkedIn member {me.get('name') or me.get('sub', '?')}, posting as {settings.linkedin.author}; {age}"


def _publisher(settings: Settings, clock: Clock, should_stop: Callable[[], bool] | None, store: KeepingStore | None) -> Publisher:
    return LinkedInPublisher(settings, clock, should_stop=should_stop)


class LinkedInDryRun(DryRunPublisher):
    """Publishes nothing; its notes say what LinkedIn would get: the thread as one post (and a first comment)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__("linkedin", self._said)
        self.settings = settings
        self.link_in_comment = bool(settings.linkedin.link_in_comment)

    def _said(self) -> Counter:
        """LinkedIn's counter, asked once when the thread is fitted: the dry run says then how LinkedIn gets it."""
        where = "in a first comment (linkedin.link_in_comment)" if self.link_in_comment else "once, in the post"
        log.warning("linkedin: the thread goes out as ONE post: the thread's posts are its paragraphs, numbering "
                    "dropped, the article link %s", where)
        return COUNTER

    def publish(self, thread: Thread, ledger: Ledger, budget: Budget | None = None) -> PostedThread:
        """The dry run's PostedThread, with the one LinkedIn post's length and where its link goes."""
        posted = super().publish(thread, ledger, budget)
        body, comment, notes = one_piece([t.text for t in thread.for_network("linkedin").tweets], thread.article,
                                         self.settings)
        where = "the link in a first comment" if comment else "the link in it"
        line = f"linkedin: the thread goes out as ONE post of {COUNTER(body)}/{MAX_CHARACTERS} characters, {where}"
        return dataclasses.replace(posted, notes=(*posted.notes, line, *notes))


def _compose(tweets: tuple[Tweet, ...], article: Article, settings: Settings,
             counter: Counter) -> tuple[tuple[Tweet, ...], tuple[str, ...]]:
    """The fitted posts as the ONE post LinkedIn gets (post.one_piece): paragraphs of the gated posts, numbering and
    (with linkedin.link_in_comment) the link taken out, whole paragraphs dropped from the end to fit 3,000."""
    if not tweets:
        return tweets, ()
    body, _comment, notes = one_piece([t.text for t in tweets], article, settings)
    evidence = tuple(dict.fromkeys(e for t in tweets for e in t.evidence))
    return (Tweet(Gated(body), COUNTER(body), evidence),), notes


def _dry_run(settings: Settings, clock: Clock) -> Publisher:
    return LinkedInDryRun(settings)


def post_link(post_id: str, url: str = "") -> tuple[str, str]:
    """The post's page on LinkedIn (by its share URN)."""
    return f"linkedin {post_id}", url or post_url(post_id)


NETWORK = Network(
    timeout=lambda settings: settings.linkedin.timeout,
    id="linkedin", name="LinkedIn", post_word="post", credentials=CREDENTIALS, counter=_counter,
    # (a format string: "{{ }}" are its braces, registry.rule fills "{url}")
    rule="LinkedIn counts characters as typed (emoji 2), each of \\ | {{ }} @ [ ] ( ) < > # * _ ~ twice "
         "(it is escaped)",
    check=_check, publisher=_publisher, dry_run=_dry_run, post_link=post_link, unset=_unset, compose=_compose,
    token_expiry=lambda settings: TokenAge(settings).ends(),  # 60 days from its first use, at the latest
    # An @handle from the article is an X account; on LinkedIn it is plain (escaped) text naming nobody there.
    keeps_article_handles=False,
)
