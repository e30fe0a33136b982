"""MastodonPublisher: a checked thread onto Mastodon exactly once — image with its description on the first
status, each next status a reply (`in_reply_to_id`) to the one before, visibility from mastodon.visibility.

Exactly once rests on the ledger (pending before each request, the id recorded before the next) and on the
Idempotency-Key every status carries, derived from the entry, the network and the position: a request sent
again (a lost answer, a crash between sending and recording) gets the status the server already made, for
the hour Mastodon keeps the key. A position left pending for longer is first looked for among the account's
latest statuses, by its text and the status it replies to, and adopted when found.
"""

from __future__ import annotations

import functools
import hashlib
import html
import logging
import mimetypes
import re
import unicodedata
from collections.abc import Callable

from bot.core.clock import Clock
from bot.core.errors import AuthError, BotError, ClaimLost
from bot.core.records import PostedThread, PublishedTweet, Thread
from bot.core.settings import Settings
from bot.networks.base import Budget, Ledger
from bot.networks.mastodon.client import MastodonClient, Status
from bot.networks.mastodon.length import MAX_CHARACTERS, URL_CHARACTERS
from bot.networks.mastodon.length import counter as mastodon_counter
from bot.tweets.length import Counter

log = logging.getLogger(__name__)
_TAG = re.compile(r"<br\s*/?>|</p>\s*<p>")
_MARKUP = re.compile(r"<[^>]+>")


def idempotency_key(thread: Thread, position: int) -> str:
    """The same key for the same post of the same entry, in every run (and no other post's)."""
    entry = thread.article.entry
    digest = hashlib.sha256(f"{entry.feed}\n{entry.key}\nmastodon\n{position}".encode()).hexdigest()
    return f"substack-thread-bot-{digest[:40]}"


def plain(content: str) -> str:
    """A status's HTML `content` as the text that was sent (paragraphs and line breaks as newlines)."""
    return html.unescape(_MARKUP.sub("", _TAG.sub("\n", content)))


def _same(ours: str, theirs: str) -> bool:
    """True when a status's text (from its HTML, links shown whole once their tags are gone) is the text we sent."""
    return " ".join(unicodedata.normalize("NFC", ours).split()) == " ".join(unicodedata.normalize("NFC", theirs).split())


class MastodonPublisher:
    """Publishes the thread's Mastodon fitting through a MastodonClient."""

    network = "mastodon"

    def __init__(self, settings: Settings, clock: Clock, should_stop: Callable[[], bool] | None = None,
                 client: MastodonClient | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self.should_stop = should_stop or (lambda: False)
        self.client = client or MastodonClient(settings, clock)
        self._counter: Counter | None = None
        self._account = ""

    def counter(self) -> Counter:
        """The instance's limits (GET /api/v2/instance, asked once); 500 and 23 when it cannot be read, said in one
        line. A refused token stops here, unless none was sent (a dry run reads the instance without one)."""
        if self._counter is None:
            self._counter = self._instance_counter()
        return self._counter

    def _instance_counter(self) -> Counter:
        if not self.client.base:
            reason = "mastodon.base_url (MASTODON_BASE_URL) is not set"
        else:
            try:
                return mastodon_counter(*self.client.limits())
            except AuthError as exc:
                if self.client.token:
                    raise
                reason = f"could not read the limits of the Mastodon instance at {self.client.base}: {exc.message}"
            except BotError as exc:
                reason = f"could not read the limits of the Mastodon instance at {self.client.base}: {exc.message}"
        log.warning("%s; fitting the Mastodon thread to the default %d characters, %d per URL",
                    reason, MAX_CHARACTERS, URL_CHARACTERS)
        return mastodon_counter()

    def publish(self, thread: Thread, ledger: Ledger, budget: Budget | None = None) -> PostedThread:
        """Post what the ledger does not hold yet, in order; stops between statuses when asked to."""
        texts = [t.text for t in thread.for_network("mastodon").tweets]
        published = dict(ledger.done())
        pending = set(ledger.pending_positions())
        notes: list[str] = []
        todo = [p for p in range(1, len(texts) + 1) if p not in published]
        for position in todo:
            if position != todo[0] and self.should_stop():
                notes.append(f"stopped before Mastodon status {position} of {len(texts)} (shutdown); "
                             "the next run finishes the thread")
                break
            prev = published[position - 1].tweet_id if position > 1 else None
            found = self._find(texts[position - 1], prev) if position in pending else None
            if found:
                log.info("Mastodon status %d was already posted (%s): adopted, not sent again", position, found["id"])
                status, media = found, ""
            else:
                media = self._upload(thread) if position == 1 else ""
                ledger.pending(position)
                status = self.client.post(texts[position - 1], idempotency_key(thread, position), prev,
                                          [media] if media else [], self.settings.mastodon.visibility,
                                          fence=functools.partial(ledger.pending, position),  # a retry is proved too
                                          held=functools.partial(_still_held, ledger, position))
            post = PublishedTweet(position, str(status["id"]), media, "mastodon", str(status.get("url") or ""))
            ledger.record(post)
            published[position] = post
            log.info("posted %d/%d on Mastodon: status %s", position, len(texts), post.tweet_id)
        complete = all(p in published for p in range(1, len(texts) + 1))
        return PostedThread(thread, tuple(published[p] for p in sorted(published)), complete=complete,
                            notes=tuple(notes))

    def _upload(self, thread: Thread) -> str:
        image = thread.image
        if image.path is None or image.source == "none":
            return ""
        mime = image.mime or mimetypes.guess_type(image.path.name)[0] or ""
        return self.client.upload_image(image.path, mime, image.alt_text)

    def _find(self, text: str, prev: str | None) -> Status | None:
        """The account's latest status with this text replying to `prev`, if the account's statuses can be read."""
        try:
            if not self._account:
                self._account = str(self.client.me().get("id", ""))
            statuses = self.client.recent(self._account)
        except AuthError:
            raise
        except BotError as exc:
            log.warning("could not read the account's statuses (%s); relying on the Idempotency-Key", exc)
            return None
        for status in statuses:
            replies_to = status.get("in_reply_to_id")
            if _same(text, plain(str(status.get("content", "")))) and (str(replies_to) if replies_to else None) == prev:
                return status
        return None


def _still_held(ledger: Ledger, position: int) -> None:
    """ClaimLost once the entry's heartbeat found its claim taken (run/lease.py sets `lost`): a wait ends at once."""
    if ledger.lost:
        raise ClaimLost(f"lost the claim on this entry while waiting to send Mastodon status {position}: another bot "
                        "process took it over after this one's lease ran out (store.lease_seconds); stopped, and sent "
                        "nothing more")
