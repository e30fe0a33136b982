"""Threads' post length: at most 500 characters, "emojis counted as the number of UTF-8 bytes" (Meta's publishing
reference, developers.facebook.com/documentation/threads/reference/publishing, `text`); links count in full.

A character is a code point here, except that every grapheme cluster holding an emoji (an Extended_Pictographic
character or a regional-indicator flag, with its ZWJ, variation selectors and skin tones) counts its UTF-8 bytes:
"📬" is 4, "👍🏽" 8, "🇫🇷" 8, "❤️" 6.
"""

from __future__ import annotations

import re

from bot.tweets.length import Counter

MAX_CHARACTERS = 500
MAX_LINKS = 5  # Threads refuses a post with more than 5 links (the design notes)


_LINK = re.compile(r"https?://\S+", re.IGNORECASE)


def link_count(text: str) -> int:
    """The links in `text` (http and https addresses), which Threads caps at MAX_LINKS a post."""
    return len(_LINK.findall(text))


def threads_length(text: str) -> int:
    """What Threads counts for `text`."""
    import regex

    total = 0
    for cluster in regex.findall(r"\X", text):
        if regex.search(r"\p{Extended_Pictographic}|\p{Regional_Indicator}", cluster):
            total += len(cluster.encode("utf-8"))
        else:
            total += len(cluster)
    return total


COUNTER = Counter("threads", MAX_CHARACTERS, threads_length, 0)
