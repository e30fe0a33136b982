"""The data the review page's live counter needs to count as bot.tweet.weighted_length does, from the same sources.

The browser gets the very URL patterns bot.tweets.entities compiles (a port of twitter-text's JS regexes, so they
read the same in JS once Python's `\\Z` is JS's `$`) and the emoji table of the `emoji` package the server counts
with: the counter and the server agree on every keystroke, and stay in step when either is updated. Built once.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from bot.tweets import entities


def _escape(match: re.Match[str]) -> str:
    char = match.group(1)
    if char == "Z":
        return "$"  # end of text: JS's `$` without the m flag
    if char == "-":
        return "\\x2d"  # a JS regex with the u flag refuses `\-` outside a class; \x2d is a hyphen everywhere
    return match.group(0)


def _js(pattern: str) -> str:
    """A Python pattern of bot.tweets.entities as JS source for a RegExp (UTF-16 units, as in twitter-text and entities.py)."""
    return re.sub(r"\\(.)", _escape, pattern)


@lru_cache(maxsize=1)
def length_data_js() -> str:
    """A script that sets `window.BOT_LENGTH_DATA` = {url, ascii_domain, tco, emoji: {sequence: status}, component}."""
    from emoji import unicode_codes

    patterns = entities._patterns()
    data = {
        "url": _js(patterns["url"].pattern),
        "ascii_domain": _js(patterns["ascii_domain"].pattern),
        "tco": _js(patterns["tco"].pattern),
        "max_url": entities.MAX_URL_LENGTH,
        "max_slug": entities.MAX_TCO_SLUG_LENGTH,
        "max_label": entities.MAX_LABEL_LENGTH,
        "emoji": {key: value["status"] for key, value in unicode_codes.EMOJI_DATA.items()},
        "component": unicode_codes.STATUS["component"],
    }
    # a script body must not be able to close its own tag
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return f"window.BOT_LENGTH_DATA={body};\n"
