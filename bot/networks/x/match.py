"""Is this post on X's timeline the one we sent? X's copy compared with our text in full, links included.

X answers with every URL replaced by a t.co link (its entities.urls give each link's expanded_url, the URL as
sent, a bare domain with http:// in front), & < > escaped, and one more t.co link appended for attached media
(an entity carrying a media_key). The copy is rebuilt from those entities; a t.co link X does not explain is
not guessed at, so such a post never matches.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import TypedDict

_SPACE = re.compile(r"\s+")
_SCHEME = re.compile(r"(?i)\bhttps?://")
_TCO = re.compile(r"(?i)https?://t\.co/\w+")


# X's answers, as far as the bot reads them (the fields asked for: tweet_fields in client.py)
class XUrl(TypedDict, total=False):
    url: str  # the t.co link in the text
    expanded_url: str
    media_key: str  # set on the link X appends for attached media


class XEntities(TypedDict, total=False):
    urls: list[XUrl]


class XReference(TypedDict, total=False):
    type: str  # "replied_to", "quoted"
    id: str


class XAttachments(TypedDict, total=False):
    media_keys: list[str]  # "3_<media id>"


class XPost(TypedDict, total=False):
    """One post of GET /2/users/:id/tweets (or the `data` of POST /2/tweets: its id and text)."""

    id: str
    text: str
    created_at: str
    referenced_tweets: list[XReference]
    attachments: XAttachments
    entities: XEntities


class XUser(TypedDict, total=False):
    """GET /2/users/me's `data`."""

    id: str
    username: str
    name: str


def x_text(post: XPost) -> str | None:
    """The text of X's copy with its t.co links expanded and the media link dropped; None if a link is unexplained."""
    text = str(post.get("text", ""))
    for url in (post.get("entities") or {}).get("urls") or []:
        short = str(url.get("url", ""))
        if not short:
            continue
        expanded = "" if url.get("media_key") else str(url.get("expanded_url") or "")
        if not url.get("media_key") and not expanded:
            return None
        text = text.replace(short, expanded, 1)
    if _TCO.search(text):
        return None
    return html.unescape(text)


def _canonical(text: str) -> str:
    """NFC, spacing collapsed, URL schemes dropped (X writes http:// before a bare domain)."""
    text = unicodedata.normalize("NFC", text)
    return _SPACE.sub(" ", _SCHEME.sub("", text)).strip()


def same_post(ours: str, post: XPost) -> bool:
    """True when `post` (a timeline item with entities) carries exactly the text we sent."""
    theirs = x_text(post)
    if theirs is None:
        return False
    return _canonical(ours) == _canonical(theirs)


def follows(post: XPost, prev: str | None) -> bool:
    """True when `post` replies to or quotes `prev`; for a first post (`prev` None), when it does neither."""
    refs = {str(r.get("id")) for r in post.get("referenced_tweets") or []
            if r.get("type") in ("replied_to", "quoted")}
    return prev in refs if prev else not refs
