"""LinkedIn's post: one `commentary` of at most 3,000 characters in the "little text" format, written as one piece.

Little text (learn.microsoft.com/linkedin/marketing/community-management/shares/little-text-format): the characters
`\\ | { } @ [ ] ( ) < > # * _ ~` are reserved for mentions, hashtags and templates and must be backslash-escaped to be
plain text; an unescaped one silently cuts the published post at that point (a title like "(#23)" would). Every
reserved character is escaped, hashtags included (they stay readable as text, never cut the post).

The limit is counted on what is sent (the escaped text), in UTF-16 code units as LinkedIn's web composer counts:
a conservative count, so a post the bot accepts is never refused for length (400 over 3,000).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.tweets.length import Counter, url_spans

MAX_CHARACTERS = 3000  # Posts API: commentary is at most 3,000 characters (the design notes, checked 2026)
RESERVED = frozenset("\\|{}@[]()<>#*_~")
_LEADING = re.compile(r"^(\d{1,3})\s*/\s*(\d{1,3})(?:\s+|$)")  # "1/3 " that thread.numbering puts before a tweet
_TRAILING = re.compile(r"(?:^|\s)(\d{1,3})\s*/\s*(\d{1,3})$")  # or " 1/3" after it
LEAD_IN = 40  # a paragraph this short, once its link left for the comment, is only a lead-in ("Read it here:")
_SPACES = re.compile(r"[ \t]+\n|\n{3,}")


def escape(text: str) -> str:
    """`text` as little text: every reserved character preceded by a backslash, so it is shown, not parsed."""
    return "".join("\\" + c if c in RESERVED else c for c in text)


def unescape(text: str) -> str:
    """Little text back to what a reader sees (a backslash before any character keeps just that character)."""
    return re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL)


def utf16_units(text: str) -> int:
    """UTF-16 code units: an emoji or other astral character counts 2."""
    return len(text.encode("utf-16-le")) // 2


def linkedin_length(text: str) -> int:
    """What LinkedIn counts for a post of `text` once escaped (the commentary as sent)."""
    return utf16_units(escape(text))


COUNTER = Counter("linkedin", MAX_CHARACTERS, linkedin_length, 0)


def _paragraph(text: str, position: int, total: int) -> str:
    """The post without the thread's own numbering: "position/total" at its start or end, and nothing else ("3/4
    readers" in a thread of 3 is a fact, kept)."""
    text = text.strip()
    if total < 2:
        return text
    for pattern in (_LEADING, _TRAILING):
        found = pattern.search(text)
        if found and (int(found.group(1)), int(found.group(2))) == (position, total):
            text = (text[:found.start()] + text[found.end():]).strip()
    return text


def compose(texts: Sequence[str], link: str = "", link_in_comment: bool = False,
            limit: int = MAX_CHARACTERS) -> tuple[str, str, tuple[str, ...]]:
    """The thread's posts as one LinkedIn post: (body, comment, notes).

    Each post becomes a paragraph (its "1/3" numbering dropped: LinkedIn has no thread to count). The article link
    stands once, alone in the last paragraph; with `link_in_comment` it leaves the body for the first comment
    (LinkedIn shows fewer people a post with an outside link). Paragraphs are dropped from the end, before the
    link, until the escaped body fits `limit`; a paragraph is never cut mid-sentence.
    """
    notes: list[str] = []
    link = link or next((text[s:e] for text in texts for s, e in url_spans(text)
                         if text[s:e].lower().startswith(("http://", "https://"))), "")
    paragraphs = [p for p in (_paragraph(t, i, len(texts)) for i, t in enumerate(texts, 1)) if p]
    keep = next((i for i, p in enumerate(paragraphs) if link and link in p), -1)  # the paragraph with the link
    if link and link_in_comment:
        if keep >= 0:
            rest = paragraphs[keep].replace(link, "").strip(" \n:—-–")
            # what is left of "Read the whole post: <link>" says nothing without its link: the comment carries it
            paragraphs[keep:keep + 1] = [rest] if len(rest) > LEAD_IN else []
        keep = -1
    elif link and keep < 0:
        paragraphs.append(link)
        keep = len(paragraphs) - 1
    while linkedin_length(_join(paragraphs)) > limit and len(paragraphs) > (1 if keep >= 0 else 0):
        drop = max(i for i in range(len(paragraphs)) if i != keep)
        paragraphs.pop(drop)
        keep -= 1 if 0 <= drop < keep else 0
        notes.append("linkedin: a paragraph was left out to fit 3,000 characters")
    return _join(paragraphs), (link if link_in_comment else ""), tuple(dict.fromkeys(notes))


def _join(paragraphs: list[str]) -> str:
    return _SPACES.sub(lambda m: "\n\n" if m.group(0).startswith("\n") else "\n", "\n\n".join(paragraphs)).strip()
