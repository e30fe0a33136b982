"""Bluesky rich text: links, mentions and hashtags as facets over UTF-8 byte ranges (app.bsky.richtext.facet),
since the app shows text it has no facet for as plain, unlinked text; and images brought under the blob limit."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Protocol

from bot.tweets.length import graphemes, url_spans

MAX_BLOB = 1_000_000
# A Bluesky handle is a domain name (@name.bsky.social), not an X screen name (bot.tweets.entities has X's rule).
_DOMAIN_HANDLE = re.compile(r"(?<![\w@])@((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*)", re.I)
_TAG = re.compile(r"(?<![\w&#])#([^\W\d_][\w]*)")
# app.bsky.richtext.facet#tag: at most 64 graphemes and 640 bytes; the PDS refuses a post with a longer one.
TAG_GRAPHEMES, TAG_BYTES = 64, 640


def _bytes(text: str, start: int, end: int) -> tuple[int, int]:
    return len(text[:start].encode("utf-8")), len(text[:end].encode("utf-8"))


class _Slice(Protocol):
    byte_start: int


class Facet(Protocol):
    """atproto's app.bsky.richtext.facet#main, as far as the bot reads it back (to sort by position)."""

    index: _Slice


def facets(text: str, resolve: Callable[[str], str]) -> list[Facet]:
    """Every link (a bare domain gets https://), resolvable @handle and #tag in `text` as a facet."""
    from atproto import models

    out: list[Facet] = []
    taken: list[tuple[int, int]] = []
    for start, end in url_spans(text):
        url = text[start:end]
        uri = url if url.lower().startswith(("http://", "https://")) else f"https://{url}"
        b0, b1 = _bytes(text, start, end)
        out.append(models.AppBskyRichtextFacet.Main(index=models.AppBskyRichtextFacet.ByteSlice(byte_start=b0, byte_end=b1),
                                                    features=[models.AppBskyRichtextFacet.Link(uri=uri)]))
        taken.append((start, end))
    for m in _DOMAIN_HANDLE.finditer(text):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        did = resolve(m.group(1))
        if did:
            b0, b1 = _bytes(text, m.start(), m.end())
            out.append(models.AppBskyRichtextFacet.Main(index=models.AppBskyRichtextFacet.ByteSlice(byte_start=b0, byte_end=b1),
                                                        features=[models.AppBskyRichtextFacet.Mention(did=did)]))
    for m in _TAG.finditer(text):
        tag = m.group(1)
        if graphemes(tag) > TAG_GRAPHEMES or len(tag.encode("utf-8")) > TAG_BYTES:
            continue  # stays plain text: a facet would get the whole post refused
        if not any(s < m.end() and m.start() < e for s, e in taken):
            b0, b1 = _bytes(text, m.start(), m.end())
            out.append(models.AppBskyRichtextFacet.Main(index=models.AppBskyRichtextFacet.ByteSlice(byte_start=b0, byte_end=b1),
                                                        features=[models.AppBskyRichtextFacet.Tag(tag=m.group(1))]))
    return sorted(out, key=lambda f: f.index.byte_start)


def shrink(data: bytes, mime: str) -> bytes:
    """The image as is when it is under 1,000,000 bytes, else re-encoded as JPEG, smaller, until it is."""
    if len(data) <= MAX_BLOB:
        return data
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    quality = 85
    while True:
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality, optimize=True)
        if out.tell() <= MAX_BLOB or min(image.size) < 64:
            return out.getvalue()
        if quality > 60:
            quality -= 10
        else:
            image = image.resize((image.width * 3 // 4, image.height * 3 // 4))
