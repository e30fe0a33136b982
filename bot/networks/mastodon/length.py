"""Mastodon's status length: characters (grapheme clusters, as Mastodon's StatusLengthValidator counts them)
with every http(s) URL counted as `characters_reserved_per_url`, up to the instance's `max_characters`
(GET /api/v2/instance: configuration.statuses; defaults 500 and 23). Bare domains are plain text there."""

from __future__ import annotations

import unicodedata
from functools import partial

from bot.tweets.length import Counter, graphemes, url_spans

MAX_CHARACTERS = 500
URL_CHARACTERS = 23


def mastodon_length(text: str, per_url: int = URL_CHARACTERS) -> int:
    """Characters Mastodon counts for `text`: graphemes, each URL with a scheme counted as `per_url`."""
    text = unicodedata.normalize("NFC", text)
    total, pos = 0, 0
    for start, end in url_spans(text):
        if text[start:end].lower().startswith(("http://", "https://")):
            total += graphemes(text[pos:start]) + per_url
            pos = end
    return total + graphemes(text[pos:])


def counter(max_characters: int = MAX_CHARACTERS, per_url: int = URL_CHARACTERS) -> Counter:
    """The Counter for an instance with these limits."""
    return Counter("mastodon", max_characters, partial(mastodon_length, per_url=per_url), per_url)


COUNTER = counter()
