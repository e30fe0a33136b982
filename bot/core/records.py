"""Typed records passed between the pipeline stages: Entry → Article → Draft → Thread → PostedThread."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Literal, NewType, cast

# A text that passed bot.tweets.grounding.gate (hygiene, grounding, its network's counter) after its last change. Only the
# gate makes one; a post, an alt text or an image prompt that skipped it is a type error where it would leave.
Gated = NewType("Gated", str)
ImageSource = Literal["hf", "gradio", "cover", "card", "none"]
BlockKind = Literal["heading", "paragraph", "quote", "list"]
# The contract's network (the design notes): thread.json's top-level `tweets` is its thread, a published post of it keeps
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


_PRIMARY_LIMIT, _PRIMARY_URL_WEIGHT = 280, 23  # X's limit and link count, for a plan that saved none


@dataclass(frozen=True, slots=True)
class SavedPost:
    """One post of a saved plan: its text, its length as its network counts it, and the passages it stands on."""

    text: str
    weighted_length: int
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SavedThread:
    """One network's thread in a saved plan, measured as that network counts."""

    limit: int
    url_weight: int = 0
    posts: tuple[SavedPost, ...] = ()
    fitted: bool = True  # False: the primary's thread kept for thread.json only (not configured; never published)


@dataclass(frozen=True, slots=True)
class SavedImage:
    """The image a plan names: its file in the output folder (None: no image), alt text, prompt and source."""

    path: str | None = None
    alt_text: str = ""
    prompt: str = ""
    source: ImageSource = "none"


@dataclass(frozen=True, slots=True)
class SavedEntry:
    """The entry as its plan saved it; `published` is the date a resumed post keeps (ISO-8601, None: no date)."""

    feed: str = ""
    guid: str = ""
    link: str = ""
    title: str = ""
    published: str | None = None


@dataclass(frozen=True)
class Plan:
    """The thread saved before the first attempt, so a resumed run (or an approved draft) posts exactly this text.

    `threads` maps each network id to its posts, in the configured order, every network alike. `to_json`/`from_json`
    are its one encoding (the store's `entries.plan`); `from_json` also reads the shape before schema v7."""

    threads: Mapping[str, SavedThread]
    image: SavedImage = SavedImage()
    writer: WriterInfo = WriterInfo("extractive")
    entry: SavedEntry | None = None  # None: a plan older than the saved entry
    notes: tuple[str, ...] = ()
    draft: tuple[str, ...] = ()  # the writer's texts before fitting, so a network added later is fitted alike

    @classmethod
    def of(cls, thread: Thread, feed: str = "") -> Plan:
        """The plan of a prepared thread (every network's fitting, the primary's kept for thread.json too)."""
        e = thread.article.entry
        threads = {n.network: SavedThread(n.limit, n.url_weight, _saved(n.tweets)) for n in thread.networks}
        if PRIMARY not in threads:  # no networks: a thread of the primary alone; else it was not configured
            threads[PRIMARY] = SavedThread(_PRIMARY_LIMIT, _PRIMARY_URL_WEIGHT, _saved(thread.tweets),
                                           fitted=not thread.networks)
        i, w, when = thread.image, thread.writer, e.published.isoformat() if e.published else None
        return cls(threads, SavedImage(i.path.name if i.path else None, i.alt_text, i.prompt, i.source),
                   WriterInfo(w.backend, w.model, w.calls),
                   SavedEntry(feed or e.feed, e.guid, e.link, e.title, when),
                   thread.notes, thread.draft)

    @property
    def fitted(self) -> tuple[str, ...]:
        """The networks the plan was fitted for (and is published to), in order."""
        return tuple(name for name, t in self.threads.items() if t.fitted)

    def names(self) -> tuple[str, ...]:
        """Every thread's network, the primary first (as review shows them)."""
        return (PRIMARY, *(n for n in self.threads if n != PRIMARY)) if PRIMARY in self.threads else tuple(self.threads)

    def posts(self, network: str) -> tuple[SavedPost, ...]:
        """One network's posts (none when the plan has no thread for it)."""
        held = self.threads.get(network)
        return held.posts if held else ()

    def edited(self, network: str = "", posts: tuple[SavedPost, ...] = (), alt_text: str | None = None) -> Plan:
        """The plan with one network's posts replaced (when `network` is given) and/or another alt text."""
        threads = {**self.threads, network: replace(self.threads[network], posts=posts)} if network else self.threads
        image = self.image if alt_text is None else replace(self.image, alt_text=alt_text)
        return replace(self, threads=threads, image=image)

    def to_dict(self) -> dict[str, object]:
        """The plan as JSON-ready data (the shape of schema v7)."""
        e, i, w = self.entry, self.image, self.writer
        data: dict[str, object] = {}
        if e is not None:
            data["entry"] = {"feed": e.feed, "guid": e.guid, "link": e.link, "title": e.title, "published": e.published}
        data["threads"] = {name: {"limit": t.limit, "url_weight": t.url_weight, "tweets": [_post(p) for p in t.posts],
                                  **({} if t.fitted else {"fitted": False})} for name, t in self.threads.items()}
        data["image"] = {"path": i.path, "alt_text": i.alt_text, "prompt": i.prompt, "source": i.source}
        data["writer"] = {"backend": w.backend, "model": w.model, "calls": w.calls}
        data["notes"] = list(self.notes)
        data["draft"] = list(self.draft)
        return data

    def to_json(self) -> str:
        """The plan as the store keeps it; `from_json` reads it back (either shape)."""
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Plan:
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Plan:
        """The plan from JSON data: the v7 shape, or the older one with X's thread under a top-level `tweets`."""
        d = upgrade_plan(dict(data))
        raw = cast(dict[str, dict[str, object]], d.get("threads") or {})
        threads = {name: SavedThread(int(cast(int, t.get("limit") or 0)), int(cast(int, t.get("url_weight") or 0)),
                                     tuple(_post_of(p) for p in cast(list[dict[str, object]], t.get("tweets") or [])),
                                     bool(t.get("fitted", True)))
                   for name, t in raw.items()}
        i = cast(dict[str, object], d.get("image") or {})
        w = cast(dict[str, object], d.get("writer") or {})
        e = d.get("entry")
        entry = None
        if isinstance(e, dict):
            published = e.get("published")
            entry = SavedEntry(str(e.get("feed") or ""), str(e.get("guid") or ""), str(e.get("link") or ""),
                               str(e.get("title") or ""), str(published) if published else None)
        path = i.get("path")
        return cls(threads,
                   SavedImage(str(path) if path else None, str(i.get("alt_text") or ""), str(i.get("prompt") or ""),
                              cast(ImageSource, i.get("source") or "none")),
                   WriterInfo(str(w.get("backend") or "extractive"), str(w.get("model") or ""),
                              int(cast(int, w.get("calls") or 0))),
                   entry, tuple(str(n) for n in cast(list[object], d.get("notes") or [])),
                   tuple(str(t) for t in cast(list[object], d.get("draft") or [])))


def upgrade_plan(data: dict[str, object]) -> dict[str, object]:
    """A plan of the shape before schema v7 in the v7 shape (unchanged when it is v7 already): X's thread moves from
    the top-level `tweets` into `threads` (as written there when X was not configured: kept, never published)."""
    if "tweets" not in data:
        return data
    data = dict(data)
    tweets = data.pop("tweets")
    data.pop("published", None)  # always empty in a plan: thread.json's, not the plan's
    threads = {n: t if isinstance(t, dict) else {"tweets": t}  # an early plan kept a network's posts as a bare list
               for n, t in cast(dict[str, object], data.get("threads") or {}).items()}
    body = {"limit": _PRIMARY_LIMIT, "url_weight": _PRIMARY_URL_WEIGHT, **threads.get(PRIMARY, {}), "tweets": tweets}
    if threads and PRIMARY not in threads:
        body["fitted"] = False
    data["threads"] = {PRIMARY: body, **threads} if not threads else {**threads, PRIMARY: body}
    return data


def _saved(tweets: tuple[Tweet, ...]) -> tuple[SavedPost, ...]:
    return tuple(SavedPost(t.text, t.weighted_length, t.evidence) for t in tweets)


def _post(p: SavedPost) -> dict[str, object]:
    return {"text": p.text, "weighted_length": p.weighted_length, "evidence": list(p.evidence)}


def _post_of(d: Mapping[str, object]) -> SavedPost:
    return SavedPost(str(d.get("text") or ""), int(cast(int, d.get("weighted_length") or 0)),
                     tuple(str(e) for e in cast(list[object], d.get("evidence") or [])))
