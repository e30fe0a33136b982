"""LinkedInPublisher: the thread onto LinkedIn exactly once, as ONE post (length.compose) with its image and alt text,
and, with linkedin.link_in_comment, the article link in a first comment.

LinkedIn has no idempotency key, so X's discipline holds here (the design notes, "Claims and leases"): position 1 (the post)
and position 2 (the comment) are each marked pending in the ledger before their request (the mark proves the
entry's claim: ClaimLost sends nothing), and recorded when LinkedIn answers. A position found pending with no record
(the answer was lost, or the process died between sending and recording) is looked for among the author's latest
posts (or the post's comments) and adopted when found; it is sent again only once the look, made past its
request's own timeout, did not find it.

Reading back needs `r_member_social`, a restricted permission most apps do not get: LinkedIn answers 403 and the
outcome cannot be known. Then the entry is held for a person (PublishError, not retried, the pending mark kept so
no later run sends it either): the hint says to look at the profile. Never sent again on a guess.
"""

from __future__ import annotations

import logging
import mimetypes
import unicodedata
from collections.abc import Callable

from bot.core.clock import Clock
from bot.core.errors import AuthError, BotError, NoAnswer, PublishError, RateLimited
from bot.core.records import Article, PostedThread, PublishedTweet, Thread
from bot.core.settings import Settings
from bot.networks.base import Budget, Ledger
from bot.networks.http import NotSent
from bot.networks.linkedin.client import Item, LinkedInClient
from bot.networks.linkedin.length import COUNTER, compose, escape, unescape
from bot.networks.linkedin.token import TokenAge
from bot.tweets.length import Counter
from bot.tweets.shape import with_utm

log = logging.getLogger(__name__)
CLOCK_SKEW = 300.0  # seconds LinkedIn's clock may be behind ours when a post's createdAt is compared with its mark
SETTLE_MARGIN = 5.0  # seconds past linkedin.timeout after which a request sent at its pending mark has landed
POST, COMMENT = 1, 2  # the ledger's positions: the post, then its first comment


class Held(PublishError):
    """The outcome of a send is unknown and cannot be read back: nothing more is sent until a person looks."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message, hint, retryable=False)


def post_url(urn: str) -> str:
    """Where a reader opens the post."""
    return f"https://www.linkedin.com/feed/update/{urn}/"


def one_piece(texts: list[str], article: Article, settings: Settings) -> tuple[str, str, tuple[str, ...]]:
    """(post body, first comment or "", notes): the thread's posts as LinkedIn's one post (length.compose), the
    article link as the thread's shaper places it (thread.link, thread.utm). The same for the 3 fitted posts of a
    plan saved before the post was composed and for the one post composed since: composing it again changes nothing,
    and the link, gone from a body that leaves it for the comment, is known from the article."""
    link = with_utm(article.entry.link, settings.thread.utm) if settings.thread.link != "none" else ""
    return compose(texts, link=link, link_in_comment=bool(settings.linkedin.link_in_comment))


def _same(ours: str, theirs: str) -> bool:
    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).split())
    return norm(ours) == norm(theirs)


class LinkedInPublisher:
    """Publishes a thread's LinkedIn post through a LinkedInClient."""

    network = "linkedin"

    def __init__(self, settings: Settings, clock: Clock, should_stop: Callable[[], bool] | None = None,
                 client: LinkedInClient | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self.should_stop = should_stop or (lambda: False)
        self.client = client or LinkedInClient(settings)

    def counter(self) -> Counter:
        """3,000 characters, counted on the escaped text in UTF-16 units (length.py)."""
        return COUNTER

    def compose(self, thread: Thread) -> tuple[str, str, tuple[str, ...]]:
        """(post body, first comment or "", notes): the thread's LinkedIn fitting as one piece."""
        return one_piece([t.text for t in thread.for_network("linkedin").tweets], thread.article, self.settings)

    def publish(self, thread: Thread, ledger: Ledger, budget: Budget | None = None) -> PostedThread:
        """Post what the ledger does not hold yet: the post, then its comment; Held when an outcome is unknowable."""
        body, comment, notes = self.compose(thread)
        TokenAge(self.settings).first_used(self.clock.time())  # so `bot check` can say when the token ends
        published = dict(ledger.done())
        pending = dict(ledger.pending_times())
        wanted = [POST, COMMENT] if comment else [POST]
        out_notes = list(notes)
        for position in (p for p in wanted if p not in published):
            if position == COMMENT and self.should_stop():
                out_notes.append("stopped before the LinkedIn comment (shutdown); the next run adds it")
                break
            if position == POST:
                item = self._post(thread, body, ledger, pending.get(POST))
            else:
                item = self._comment(published[POST].tweet_id, comment, ledger, pending.get(COMMENT))
            ledger.record(item)
            published[position] = item
            log.info("posted the LinkedIn %s: %s", "post" if position == POST else "comment", item.tweet_id)
        complete = all(p in published for p in wanted)
        return PostedThread(thread, tuple(published[p] for p in sorted(published)), mode="single", complete=complete,
                            notes=tuple(out_notes))

    def _post(self, thread: Thread, body: str, ledger: Ledger, marked: float | None) -> PublishedTweet:
        if marked is not None:
            found = self._settle("post", marked, lambda: self._find_post(body, marked))
            if found:
                log.info("the LinkedIn post was already made (%s): adopted, not sent again", found["id"])
                media = ((found.get("content") or {}).get("media") or {}).get("id", "")
                return PublishedTweet(POST, str(found["id"]), str(media), self.network, post_url(str(found["id"])))
        image = thread.image
        media = ""
        if image.path is not None and image.source != "none":
            media = self.client.upload_image(image.path, image.mime or mimetypes.guess_type(image.path.name)[0] or "")
        sent_at = self.clock.time()
        urn = self._send(POST, ledger, lambda: self.client.create_post(escape(body), media, image.alt_text),
                         lambda: self._find_post(body, sent_at))
        return PublishedTweet(POST, urn, media, self.network, post_url(urn))

    def _comment(self, post: str, text: str, ledger: Ledger, marked: float | None) -> PublishedTweet:
        if marked is not None:
            found = self._settle("comment", marked, lambda: self._find_comment(post, text))
            if found:
                urn = str(found.get("$URN") or found.get("id"))
                return PublishedTweet(COMMENT, urn, "", self.network, post_url(post))
        urn = self._send(COMMENT, ledger, lambda: self.client.comment(post, escape(text)),
                         lambda: self._find_comment(post, text))
        return PublishedTweet(COMMENT, urn, "", self.network, post_url(post))

    def _send(self, position: int, ledger: Ledger, send: Callable[[], str],
              find: Callable[[], Item | None]) -> str:
        """Mark pending (the fence), send once; a lost answer is settled by reading, never by sending again here."""
        marked = self.clock.time()
        ledger.pending(position)
        what = "post" if position == POST else "comment"
        try:
            return send()
        except (RateLimited, NotSent):
            ledger.refused(position)  # refused or never sent, so not made: a later run sends it without looking first
            raise
        except NoAnswer as exc:
            found = self._settle(what, marked, find)
            if found:
                log.info("the LinkedIn %s reached LinkedIn although its answer was lost", what)
                return str(found.get("id") or found.get("$URN"))
            raise PublishError(f"the LinkedIn {what} got no answer ({exc.message}) and is not among the author's "
                               "latest", "the next run looks for it again before sending it", retryable=True) from exc
        except PublishError as exc:
            if not exc.retryable:
                ledger.refused(position)  # LinkedIn refused the body (400/422): nothing was made
            raise

    def _settle(self, what: str, marked: float, find: Callable[[], Item | None]) -> Item | None:
        """The pending item on LinkedIn, or None once it surely is not there (looked for past its request's
        timeout). Held when LinkedIn will not let the bot read (403); PublishError (retried) when it cannot now."""
        horizon = marked + float(self.settings.linkedin.timeout) + SETTLE_MARGIN
        while True:
            try:
                found = find()
            except AuthError as exc:
                raise Held(f"the LinkedIn {what} may already be published, and LinkedIn does not let this app read "
                           f"the author's posts back to check ({exc.message})",
                           "held, not sent again: look at the LinkedIn profile; if it is not there, `bot retry ENTRY "
                           "--not-posted` releases it for the next run (reading back needs r_member_social)") from exc
            except BotError as exc:
                raise PublishError(f"the LinkedIn {what} may already be published and could not be checked "
                                   f"({exc.message})", "not sent again until LinkedIn can be asked; the next run "
                                   "checks again", retryable=True) from exc
            if found:
                return found
            if self.clock.time() >= horizon:
                return self._not_yet(what, marked)
            if self.should_stop():
                raise PublishError(f"stopped while looking for the LinkedIn {what} (shutdown)",
                                   "the next run looks for it again before sending it", retryable=True)
            self.clock.sleep(min(1.0, horizon - self.clock.time()))

    def _not_yet(self, what: str, marked: float) -> Item | None:
        """None (send it again) once linkedin.confirm_horizon has passed since the request went out; before that a
        request may still land (a proxy's queue, a paused process): PublishError, retried, and nothing is sent."""
        wait = marked + float(self.settings.linkedin.confirm_horizon) - self.clock.time()
        if wait > 0:
            raise PublishError(f"the LinkedIn {what} whose answer was lost is not among the author's posts yet",
                               f"it is looked for again and sent only if still missing {float(self.settings.linkedin.confirm_horizon):.0f} s "
                               "after it went out (linkedin.confirm_horizon)", retryable=True)
        return None

    def _find_post(self, body: str, marked: float) -> Item | None:
        """The author's post with this text made after the pending mark (an older one reading the same is not ours)."""
        return next((p for p in self.client.recent_posts()
                     if p.get("author") == self.client.author and _same(body, unescape(str(p.get("commentary", ""))))
                     and float(p.get("createdAt") or 0) / 1000 >= marked - CLOCK_SKEW), None)

    def _find_comment(self, post: str, text: str) -> Item | None:
        return next((c for c in self.client.comments(post) if c.get("actor") == self.client.author
                     and _same(text, unescape(str((c.get("message") or {}).get("text", ""))))), None)

