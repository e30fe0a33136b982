"""BlueskyPublisher: a checked thread onto Bluesky exactly once — a reply chain of app.bsky.feed.post records.

Each post's record key is chosen by the bot: a TID derived from the entry and the position, the same in every
run. A second createRecord with that key is refused by the PDS, so a retried or resumed post can never make a
second copy; when the create fails, or the position was left pending by a dead run, the record is read back
(getRecord) and adopted when it is there. Links, the account's own handle and hashtags are facets over UTF-8 byte
ranges; the image with its alt text rides on the first post, the post with the article link carries a link card
(external embed: uri, title, description, the image as thumb) — one post cannot hold both.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import re
from collections.abc import Callable
from datetime import UTC, datetime

from bot.core.clock import Clock
from bot.core.errors import BotError, PublishError
from bot.core.records import PostedThread, PublishedTweet, Thread
from bot.core.settings import Settings
from bot.networks.base import Budget, Ledger
from bot.networks.bluesky.client import BlueskyClient
from bot.networks.bluesky.facets import facets, shrink
from bot.networks.bluesky.length import COUNTER
from bot.tweets.length import Counter

log = logging.getLogger(__name__)
_B32 = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable, the TID alphabet


def record_key(thread: Thread, position: int) -> str:
    """A TID (13 characters of base32-sortable) that is the same for this entry and position in every run.

    Its 53-bit timestamp is the entry's publication time (so keys sort like posts) plus the position; its 10-bit
    clock id and the microseconds come from a hash of the feed and the entry's key, so entries do not collide.
    """
    entry = thread.article.entry
    digest = int.from_bytes(hashlib.sha256(f"{entry.feed}\n{entry.key}".encode()).digest()[:8], "big")
    seconds = int(entry.published.timestamp()) if entry.published else 1_700_000_000 + digest % 100_000_000
    micros = seconds * 1_000_000 + (digest >> 10) % 1000 * 1000 + position
    value = (micros & ((1 << 53) - 1)) << 10 | digest & 0x3FF
    return "".join(_B32[(value >> (5 * i)) & 31] for i in reversed(range(13)))


_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[a-z]{4})?(?:-(?:[a-z]{2}|[0-9]{3}))?", re.I)


def language(feed_language: str) -> list[str] | None:
    """The post's `langs` from the feed's language: a BCP-47 tag (en_US written en-US), or none at all, since the
    PDS refuses a post whose langs is not one (a feed's "english" would stop the thread)."""
    tag = feed_language.strip().replace("_", "-")
    return [tag] if _LANGUAGE.fullmatch(tag) else None


class BlueskyPublisher:
    """Publishes the thread's Bluesky fitting through a BlueskyClient."""

    network = "bluesky"

    def __init__(self, settings: Settings, clock: Clock, should_stop: Callable[[], bool] | None = None,
                 client: BlueskyClient | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self.should_stop = should_stop or (lambda: False)
        self.client = client or BlueskyClient(settings, clock)
        self._blob: object = None

    def counter(self) -> Counter:
        """Bluesky's count: 300 graphemes and 3000 bytes (length.py)."""
        return COUNTER

    def publish(self, thread: Thread, ledger: Ledger, budget: Budget | None = None) -> PostedThread:
        """Post what the ledger does not hold yet, in order; stops between posts when asked to."""
        texts = [t.text for t in thread.for_network("bluesky").tweets]
        published = dict(ledger.done())
        pending = set(ledger.pending_positions())
        notes: list[str] = []
        todo = [p for p in range(1, len(texts) + 1) if p not in published]
        link_at = next((i for i, t in enumerate(texts, 1) if thread.article.entry.link and thread.article.entry.link in t), 0)
        image_at = 1 if link_at != 1 or len(texts) == 1 else 2
        for position in todo:
            if position != todo[0] and self.should_stop():
                notes.append(f"stopped before Bluesky post {position} of {len(texts)} (shutdown); the next run finishes it")
                break
            rkey = record_key(thread, position)
            found = self.client.get(rkey) if position in pending else None
            if found is None:
                record = self._record(thread, texts[position - 1], position, published, link_at, image_at)
                ledger.pending(position)
                try:
                    uri, cid = self.client.create(rkey, record)
                except BotError as exc:  # refused, or no answer: the record may be there already (same key)
                    found = self.client.get(rkey)
                    if found is None:
                        raise
                    log.info("Bluesky post %d was already there (%s): adopted (%s)", position, found[0], exc.message)
            if found is not None:
                uri, cid = found[0], found[1]
            post = PublishedTweet(position, uri, "", "bluesky", cid)
            ledger.record(post)
            published[position] = post
            log.info("posted %d/%d on Bluesky: %s", position, len(texts), uri)
        complete = all(p in published for p in range(1, len(texts) + 1))
        return PostedThread(thread, tuple(published[p] for p in sorted(published)), complete=complete, notes=tuple(notes))

    def _record(self, thread: Thread, text: str, position: int, published: dict[int, PublishedTweet],
                link_at: int, image_at: int) -> object:
        from atproto import models

        reply = None
        if position > 1:
            root, parent = published[1], published[position - 1]
            reply = models.AppBskyFeedPost.ReplyRef(
                root=models.ComAtprotoRepoStrongRef.Main(uri=root.tweet_id, cid=root.ref),
                parent=models.ComAtprotoRepoStrongRef.Main(uri=parent.tweet_id, cid=parent.ref))
        embed: object = None
        entry, image = thread.article.entry, thread.image
        if position == link_at:
            embed = models.AppBskyEmbedExternal.Main(external=models.AppBskyEmbedExternal.External(
                uri=entry.link, title=entry.title[:300], description=(entry.subtitle or "")[:1000], thumb=self._image(thread)))
        elif position == image_at and self._image(thread) is not None:
            ratio = models.AppBskyEmbedDefs.AspectRatio(width=image.width, height=image.height) if image.width else None
            embed = models.AppBskyEmbedImages.Main(images=[models.AppBskyEmbedImages.Image(
                image=self._image(thread), alt=image.alt_text[:2000], aspect_ratio=ratio)])
        return models.AppBskyFeedPost.Record(
            text=text, created_at=datetime.fromtimestamp(self.clock.time(), UTC).isoformat().replace("+00:00", "Z"),
            reply=reply, embed=embed, facets=facets(text, self._mention) or None,
            langs=language(entry.language))

    def _mention(self, handle: str) -> str:
        """The DID a mention facet names: the account's own handle only; any other handle stays plain text, since
        a facet would make it a live mention of whoever holds it (the article's handles are X's, not Bluesky's)."""
        own = {self.client.handle.lower(), self.client.account.lower()} - {""}
        return self.client.resolve(handle) if handle.lower() in own else ""

    def _image(self, thread: Thread) -> object:
        """The image's blob, uploaded once per run (re-encoded under Bluesky's 1,000,000-byte limit); None without one."""
        image = thread.image
        if image.path is None or image.source == "none" or not image.path.is_file():
            return None
        if self._blob is None:
            data = shrink(image.path.read_bytes(), image.mime or mimetypes.guess_type(image.path.name)[0] or "")
            if len(data) > 1_000_000:
                raise PublishError("the image cannot be made small enough for Bluesky (1,000,000 bytes)",
                                   "use a smaller image.width and image.height", retryable=False)
            self._blob = self.client.upload(data)
        return self._blob
