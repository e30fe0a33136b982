"""Bluesky's post length: at most 300 graphemes and 3000 bytes of UTF-8 (the app.bsky.feed.post lexicon's
maxGraphemes and maxLength; the PDS refuses more with a 400).

Both limits fold into one number so shaping can fit against a single limit: a post's length is its grapheme
count, or a tenth of its byte count when that is larger, so length <= 300 exactly when both limits hold.
Graphemes are extended grapheme clusters (`regex`'s \\X, as Bluesky's app counts them); URLs count in full,
since Bluesky shows a link as the text that carries it.
"""

from __future__ import annotations

import unicodedata

from bot.tweets.length import Counter, graphemes

MAX_GRAPHEMES = 300
MAX_BYTES = 3000


def bluesky_length(text: str) -> int:
    """The length shaping fits against 300: graphemes, or bytes / 10 (rounded up) when that is more."""
    text = unicodedata.normalize("NFC", text)
    size = len(text.encode("utf-8"))
    return max(graphemes(text), -(-size * MAX_GRAPHEMES // MAX_BYTES))


COUNTER = Counter("bluesky", MAX_GRAPHEMES, bluesky_length)
