"""Typed records passed between the pipeline stages: Entry → Article → Draft → Thread → PostedThread."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal, NewType

# A text that passed bot.tweets.grounding.gate (hygiene, grounding, its network's counter) after its last change. Only the
# gate makes one; a post, an alt text or an image prompt that skipped it is a type error where it would leave.
Gated = NewType("Gated", str)
ImageSource = Literal["hf", "gradio", "cover", "card", "none"]
BlockKind = Literal["heading", "paragraph", "quote", "list"]
# The contract's network (DESIGN.md): thread.json's top-level `tweets` is its thread, a published post of it keeps
# `tweet_id`, a row saved before networks existed was posted there, and the post budget and price are its. Named
# here, beneath every stage, and nowhere else outside networks/ (networks/registry.py lists it as PRIMARY).
PRIMARY = "x"


@dataclass(frozen=True, slots=True)
class Entry:
    """One feed item, as feed.py read it: still HTML, but typed."""

    feed: str  # the feed URL or path as configured
    key: str  # stable identity: the /p/<slug> path when there is one, else guid or link
    guid: str
    link: str
    title: str
    subtitle: str = ""
    author: str = ""
    published: datetime | None = None  # timezone-aware UTC
    html: str = ""  # content:encoded, else the summary
    cover_url: str = ""
    publication: str = ""  # the feed's title
    language: str = ""  # the feed's declared language, e.g. "en", "ja"
    paywalled: bool = False


@dataclass(frozen=True, slots=True)
class FeedResult:
    """What one fetch of a feed gave: entries newest first, cache validators, warnings."""

    url: str
    title: str = ""
    entries: tuple[Entry, ...] = ()
    etag: str = ""
    last_modified: str = ""
    not_modified: bool = False  # the server answered 304
    bytes_received: int = 0
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Block:
    """One readable piece of an article: a heading, a paragraph, a quote or a list item."""

    kind: BlockKind
    text: str
    to_model: bool = False  # reads like an instruction to a language model: kept for it, never quoted offline


@dataclass(frozen=True, slots=True)
class Article:
    """An entry cleaned for reading: text blocks, and the links and handles it really contains."""

    entry: Entry
    blocks: tuple[Block, ...] = ()
    links: frozenset[str] = frozenset()  # absolute URLs found in the article's HTML
    mentions: frozenset[str] = frozenset()  # @handles written in the article text, lower-case
    hashtags: frozenset[str] = frozenset()  # #tags written in the article text, lower-case
    notes: tuple[str, ...] = ()  # what cleaning left out that a user should know about

    @property
    def title(self) -> str:
        return self.entry.title

    @property
    def text(self) -> str:
        """The whole article as plain text, blocks separated by blank lines."""
        return "\n\n".join(b.text for b in self.blocks)

    @property
    def headings(self) -> tuple[str, ...]:
        return tuple(b.text for b in self.blocks if b.kind == "heading")


@dataclass(frozen=True, slots=True)
class ThreadSpec:
    """How a thread is shaped, taken from the [thread] settings."""

    tweets: int = 3
    numbering: bool = False
    link: Literal["first", "last", "none"] = "last"
    utm: str = ""
    hashtags: int = 0
    language: str = ""  # empty: the article's own
    voice: str = ""


@dataclass(frozen=True, slots=True)
class ModelCall:
    """One request to a model (text or image), kept for `bot history` and the benchmark."""

    backend: str  # "hf", "openai-compatible", "gradio", ...
    model: str
    purpose: str  # "thread", "repair", "rewrite", "revise", "image"
    outcome: str  # "ok", "http 429", "timeout", "unparseable", ...
    latency_ms: int = 0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class WriterInfo:
    """Which writer produced a draft, and how many model calls it took."""

    backend: str  # "hf" or "extractive"
    model: str = ""
    calls: int = 0
    fallbacks: tuple[str, ...] = ()  # one line each: why a model or backend was skipped


@dataclass(frozen=True, slots=True)
class Draft:
    """A writer's output: tweet texts (not yet checked), an image prompt and alt text."""

    tweets: tuple[str, ...]
    image_prompt: str = ""
    alt_text: str = ""
    writer: WriterInfo = field(default_factory=lambda: WriterInfo("extractive"))
    calls: tuple[ModelCall, ...] = ()
    evidence: tuple[tuple[str, ...], ...] = ()  # per tweet: the article passages the model says it rests on


@dataclass(frozen=True, slots=True)
class Image:
    """The normalised image that goes with the first tweet (path is None when source is "none")."""

    path: Path | None
    alt_text: str = ""
    prompt: str = ""
    source: ImageSource = "none"
    mime: str = ""
    width: int = 0
    height: int = 0
    size: int = 0  # bytes


@dataclass(frozen=True, slots=True)
class Tweet:
    """One checked post: its final text (through the gate), its length as its network counts it, and the
    article passages its sentences stand on."""

    text: Gated
    weighted_length: int
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NetworkThread:
    """One network's own fitting of the thread: its posts, each measured the way that network counts."""

    network: str  # a network's id (networks/registry.py)
    tweets: tuple[Tweet, ...]  # Tweet.weighted_length holds this network's length of the post
    limit: int  # the most that network takes in one post (280, 300, 500, ...)
    url_weight: int = 0  # what each link counts there (X 23, a Mastodon instance's own); 0: links count in full


@dataclass(frozen=True, slots=True)
class Thread:
    """A checked thread, ready to publish: every tweet valid, the image normalised.

    `tweets` is X's fitting (the thread.json contract); `networks` holds every configured network's own
    fitting of the same draft, X's included, so a draft or a plan keeps one thread per network.
    """

    article: Article
    tweets: tuple[Tweet, ...]
    image: Image
    writer: WriterInfo
    calls: tuple[ModelCall, ...] = ()
    notes: tuple[str, ...] = ()  # what fitting and hygiene changed, one line each
    networks: tuple[NetworkThread, ...] = ()
    draft: tuple[str, ...] = ()  # the writer's texts before fitting, so a network added later is fitted alike

    def for_network(self, network: str) -> NetworkThread:
        """This network's thread; the primary network's falls back to `tweets` (a thread made before networks)."""
        for item in self.networks:
            if item.network == network:
                return item
        if network == PRIMARY:
            return NetworkThread(PRIMARY, self.tweets, 280)  # its limit then
        raise KeyError(network)


@dataclass(frozen=True, slots=True)
class PublishedTweet:
    """One post that a network accepted (the name is X's; every network's posts use it)."""

    position: int  # 1-based
    tweet_id: str  # the network's id: X's tweet id, Bluesky's at:// URI, Mastodon's status id
    media_id: str = ""
    network: str = PRIMARY
    ref: str = ""  # what the next post needs besides the id: Bluesky's record CID, Mastodon's status URL

    def item(self) -> dict[str, object]:
        """This post as thread.json's `published` and `bot history` show it."""
        return published_item(self.network, self.position, self.tweet_id)


def published_item(network: str, position: int, post_id: str) -> dict[str, object]:
    """One published post: {"network", "position", "id"}; the primary network's keep `tweet_id` too, as before."""
    item: dict[str, object] = {"network": network, "position": position, "id": post_id}
    if network == PRIMARY:
        item["tweet_id"] = post_id
    return item


@dataclass(frozen=True, slots=True)
class PostedThread:
    """The outcome of publishing: the posts every network holds, and how X's thread was linked."""

    thread: Thread
    published: tuple[PublishedTweet, ...] = ()
    mode: str = "reply"  # "reply", "quote", "single"
    complete: bool = False
    notes: tuple[str, ...] = ()
