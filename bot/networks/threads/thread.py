"""ThreadsPublisher: the thread onto Threads exactly once — a container per post, published once FINISHED, each next
post a reply (`reply_to_id`) to the one before, the publishing quota read before any of it is spent.

Threads has no idempotency key (the design notes). Making a container publishes nothing, so containers are made freely; the
one request that makes a post, threads_publish, is preceded by the ledger's pending mark (which proves the entry's
claim) and followed by the record. A position found pending without a record is looked for among the profile's
posts (the first) or the previous post's replies (the others), by its text, and adopted when found; it is sent again
only once a look made past its request's own timeout did not find it. When the posts cannot be read for lack of a
permission the entry is held for a person (never sent again on a guess).

Images: Meta fetches an IMAGE container's picture from a public URL, the bot cannot upload bytes. With
web.public_url the image is shared at an unguessable address that expires (networks/media.py, served by the review
page at /media/<token>); without it the thread goes out with its link and no image, and says so in its notes.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from datetime import datetime

from bot.core.clock import Clock
from bot.core.errors import AuthError, BotError, BudgetExceeded, NoAnswer, PublishError, RateLimited
from bot.core.records import PostedThread, PublishedTweet, Thread
from bot.core.settings import Settings
from bot.networks.base import Budget, Ledger
from bot.networks.http import NotSent
from bot.networks.media import share
from bot.networks.threads.client import GraphItem, NotReady, ThreadsClient
from bot.networks.threads.length import COUNTER, MAX_LINKS, link_count
from bot.tweets.length import Counter

log = logging.getLogger(__name__)
CLOCK_SKEW = 300.0  # seconds Meta's clock may be behind ours when a post's time is compared with its pending mark
SETTLE_MARGIN = 5.0  # seconds past threads.timeout after which a publish sent at its pending mark has landed
POLL_FIRST, POLL_MAX, POLL_FOR = 2.0, 60.0, 300.0  # container status: Meta checks once a minute, at most 5 minutes
NO_IMAGE = ("threads: no image — Threads fetches images from a public address, and the bot serves none "
            "(web.public_url); the thread goes out with its link only")


class Held(PublishError):
    """The outcome of a publish is unknown and cannot be read back: nothing more is sent until a person looks."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message, hint, retryable=False)


def _same(ours: str, theirs: str) -> bool:
    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).split())
    return norm(ours) == norm(theirs)


def _after(post: GraphItem, marked: float) -> bool:
    """False for a post made well before the pending mark (an older post with the same text is not ours)."""
    try:
        made = datetime.strptime(str(post.get("timestamp", "")), "%Y-%m-%dT%H:%M:%S%z").timestamp()
    except ValueError:
        return True  # no time to go by: the text and its place in the chain decide
    return made >= marked - CLOCK_SKEW


def quota_left(quota: GraphItem) -> tuple[int, int]:
    """(posts, replies) still allowed in the 24-hour window, from a threads_publishing_limit answer."""
    posts = int((quota.get("config") or {}).get("quota_total", 250)) - int(quota.get("quota_usage") or 0)
    replies = int((quota.get("reply_config") or {}).get("quota_total", 1000)) - int(quota.get("reply_quota_usage") or 0)
    return posts, replies


class ThreadsPublisher:
    """Publishes a thread's Threads fitting through a ThreadsClient."""

    network = "threads"

    def __init__(self, settings: Settings, clock: Clock, should_stop: Callable[[], bool] | None = None,
                 client: ThreadsClient | None = None, image_url: Callable[[Thread], str] | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self.should_stop = should_stop or (lambda: False)
        self.client = client or ThreadsClient(settings, clock)
        # With web.public_url, the image is shared at an unguessable, expiring address the review page serves
        # (networks/media.py); the page must be running there (`bot run --web`) for Meta to fetch it.
        self.image_url = (image_url or self._share) if settings.web.public_url else None

    def _share(self, thread: Thread) -> str:
        return share(self.settings, thread.image.path, self.clock.time()) if thread.image.path else ""

    def counter(self) -> Counter:
        """500 characters, emoji as their UTF-8 bytes (length.py)."""
        return COUNTER

    def publish(self, thread: Thread, ledger: Ledger, budget: Budget | None = None) -> PostedThread:
        """Post what the ledger does not hold yet, in order; BudgetExceeded before any send when the quota is short."""
        texts = [t.text for t in thread.for_network("threads").tweets]
        published = dict(ledger.done())
        pending = dict(ledger.pending_times())
        todo = [p for p in range(1, len(texts) + 1) if p not in published]
        notes: list[str] = []
        crowded = [p for p in todo if link_count(texts[p - 1]) > MAX_LINKS]
        if crowded:  # Threads would refuse that post mid-chain: refuse the thread whole before anything is sent
            raise PublishError(f"Threads post {crowded[0]} has {link_count(texts[crowded[0] - 1])} links and Threads "
                               f"takes at most {MAX_LINKS} a post: nothing was sent",
                               "cut the links in that post (review page or thread.json), then post again",
                               retryable=False)
        if todo:
            self.client.refresh_token()
            self._check_quota(todo)
        image = self.image_url(thread) if self.image_url and thread.image.path is not None else ""
        if 1 in todo and not image and thread.image.path is not None:
            notes.append(NO_IMAGE)
        for position in todo:
            if position != todo[0] and self.should_stop():
                notes.append(f"stopped before Threads post {position} of {len(texts)} (shutdown); the next run "
                             "finishes the thread")
                break
            prev = published[position - 1].tweet_id if position > 1 else None
            text = texts[position - 1]
            found = self._settle(position, text, prev, pending[position]) if position in pending else None
            if found:
                log.info("Threads post %d was already published (%s): adopted, not sent again", position, found["id"])
                post_id = str(found["id"])
            else:
                post_id = self._send(position, text, prev, ledger, image if position == 1 else "",
                                     thread.image.alt_text)
            item = PublishedTweet(position, post_id, "", self.network, "")
            ledger.record(item)
            published[position] = item
            log.info("posted %d/%d on Threads: %s", position, len(texts), post_id)
        complete = all(p in published for p in range(1, len(texts) + 1))
        return PostedThread(thread, tuple(published[p] for p in sorted(published)), complete=complete,
                            notes=tuple(notes))

    def _check_quota(self, todo: list[int]) -> None:
        posts, replies = quota_left(self.client.quota())
        need_posts = 1 if 1 in todo else 0
        need_replies = len(todo) - need_posts
        if posts < need_posts or replies < need_replies:
            raise BudgetExceeded(
                f"Threads' publishing quota is used up: the thread needs {need_posts} post(s) and {need_replies} "
                f"repl(ies), {max(posts, 0)} and {max(replies, 0)} are left in the last 24 hours",
                "it is posted when older posts leave Meta's 24-hour window; nothing was sent")

    def _send(self, position: int, text: str, prev: str | None, ledger: Ledger, image: str, alt: str) -> str:
        container = self._ready(text, prev, image, alt)
        while True:
            marked = self.clock.time()
            ledger.pending(position)  # the fence: ClaimLost here when another process holds the entry now
            try:
                return self.client.publish(container)
            except NotReady:  # refused, nothing made: wait for the container and publish it
                ledger.refused(position)
                self._wait_finished(container)
            except (RateLimited, NotSent):  # refused or never sent: nothing made, nothing pending
                ledger.refused(position)
                raise
            except NoAnswer as exc:
                found = self._settle(position, text, prev, marked)
                if found:
                    return str(found["id"])
                raise PublishError(f"Threads post {position} got no answer ({exc.message}) and is not on the "
                                   "profile", "the next run looks for it again before sending it") from exc
            except PublishError as exc:
                if not exc.retryable:
                    ledger.refused(position)
                raise

    def _ready(self, text: str, prev: str | None, image: str, alt: str) -> str:
        """A FINISHED container for the post; an image Meta could not fetch falls back to text alone."""
        container = self.client.create(text, prev, image, alt)
        status, error = self._wait_finished(container)
        if status == "ERROR" and image:
            log.warning("Threads could not use the image (%s); the post goes without it", error or "ERROR")
            return self._ready(text, prev, "", "")
        if status != "FINISHED":
            raise PublishError(f"the Threads container ended {status}{f' ({error})' if error else ''}",
                               "the entry is tried again later", retryable=status != "ERROR")
        return container

    def _wait_finished(self, container: str) -> tuple[str, str]:
        """Poll the container until it is no longer IN_PROGRESS (at most POLL_FOR seconds)."""
        start, step = self.clock.time(), POLL_FIRST
        while True:
            status, error = self.client.status(container)
            if status != "IN_PROGRESS" or self.clock.time() - start >= POLL_FOR:
                return status, error
            self.clock.sleep(step)
            step = min(step * 2, POLL_MAX)

    def _settle(self, position: int, text: str, prev: str | None, marked: float) -> GraphItem | None:
        """The pending post on Threads, or None once it surely is not there; Held when it cannot be read."""
        horizon = marked + float(self.settings.threads.timeout) + SETTLE_MARGIN
        while True:
            try:
                posts = self.client.replies(prev) if prev else self.client.recent()
            except AuthError as exc:
                raise Held(f"Threads post {position} may already be published, and this token may not read it back "
                           f"({exc.message})", "held, not sent again: look at the Threads profile; give the token "
                           "threads_basic and threads_read_replies, then run again (or, if it is not there, `bot "
                           "retry ENTRY --not-posted`)") from exc
            except BotError as exc:
                raise PublishError(f"Threads post {position} may already be published and could not be checked "
                                   f"({exc.message})", "not sent again until Threads can be asked") from exc
            found = next((p for p in posts if _same(text, str(p.get("text", ""))) and _after(p, marked)), None)
            if found:
                return found
            if self.clock.time() >= horizon:
                if self.clock.time() < marked + float(self.settings.threads.confirm_horizon):
                    # A request may still land (a proxy's queue, a paused process): nothing is sent until the
                    # horizon has passed; the entry is retried and looks again.
                    raise PublishError(f"Threads post {position} whose answer was lost is not on the profile yet",
                                       "it is looked for again and sent only if still missing "
                                       f"{float(self.settings.threads.confirm_horizon):.0f} s after it went out "
                                       "(threads.confirm_horizon)", retryable=True)
                return None
            if self.should_stop():
                raise PublishError(f"stopped while looking for Threads post {position} (shutdown)",
                                   "the next run looks for it again before sending it")
            self.clock.sleep(min(1.0, horizon - self.clock.time()))
