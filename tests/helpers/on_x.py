"""What the local X API holds, read as threads: the one place tests check "exactly one thread, as X shows it"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

LINKS = {"reply": "reply_to", "quote": "quote_of"}


def threads(x: Any, link: str = "reply") -> list[list[dict[str, Any]]]:
    """The account's posts grouped into chains: a post linked (by `link`) to a post of a chain extends it."""
    key = LINKS.get(link, link)
    chains: list[list[dict[str, Any]]] = []
    tail: dict[str, list[dict[str, Any]]] = {}
    for post in x.posts:
        parent = post.get(key)
        chain = tail.pop(parent, None) if parent else None
        if chain is None:
            chain = []
            chains.append(chain)
        chain.append(post)
        tail[post["id"]] = chain
    return chains


def assert_one_thread(x: Any, texts: Sequence[str] | None = None, *, count: int = 3, link: str = "reply",
                      alt: str | None = None, ends_with: str = "") -> list[dict[str, Any]]:
    """X holds exactly one thread: `count` posts (or exactly `texts`, in order), no text twice, each post
    linked to the one before, the image on the first only (with alt text `alt`, or any alt text), and the
    last post ending with `ends_with` when given. Returns the posts."""
    posts = list(x.posts)
    got = [p["text"] for p in posts]
    if texts is not None:
        assert got == list(texts), got
    else:
        assert len(got) == count, [t[:40] for t in got]
    assert len(set(got)) == len(got), f"a text went out twice: {got}"
    chains = threads(x, link)
    assert len(chains) == 1, f"{len(chains)} chains on X, not one thread: {[[p['text'][:20] for p in c] for c in chains]}"
    first, rest = posts[0], posts[1:]
    assert first.get(LINKS.get(link, link)) is None
    assert len(first["media_ids"]) == 1 and all(not p["media_ids"] for p in rest), "the image rides on the first post only"
    media_alt = x.media[first["media_ids"][0]]["alt_text"]
    assert media_alt == alt if alt is not None else media_alt, "the image went out without its alt text"
    if ends_with:
        assert got[-1].split()[-1] == ends_with, got[-1]
    return posts


def assert_threads(x: Any, per_thread: int = 3) -> list[list[dict[str, Any]]]:
    """Every chain on X is one whole thread of `per_thread` posts, the image on its first; no text twice."""
    got = [p["text"] for p in x.posts]
    assert len(got) == len(set(got)), f"a text went out twice: {got}"
    chains = threads(x)
    for chain in chains:
        assert len(chain) == per_thread, [p["text"][:30] for p in chain]
        assert len(chain[0]["media_ids"]) == 1 and all(not p["media_ids"] for p in chain[1:])
    return chains
