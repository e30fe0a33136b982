"""Output hygiene: what a model adds around a tweet (markdown, numbering, preambles, quotes) comes off,
and so does every URL or @mention the article does not contain — a post goes out under the user's name."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache
from urllib.parse import urlsplit

from bot.core.records import Article
from bot.tweets.length import sanitize, url_spans, urls

# Scaffolding a model writes before or around a tweet; each pattern is tried at the start, repeatedly.
_KEYCAP = r"(?:[0-9#*]\ufe0f?\u20e3|\U0001f51f)"
_LEADERS = [
    re.compile(r"^#{1,6}\s+"),  # markdown heading marks ("### Tweet 1:"); a #hashtag has no space
    re.compile(r"^(?:sure|okay|ok|certainly|absolutely)[!.,]?\s*(?=here\b)", re.I),
    re.compile(r"^here(?:'s|’s| is| are)\b[^\n:]{0,80}:\s*", re.I),
    re.compile(r"^(?:twitter\s+|x\s+)?thread\b[^\n:]{0,20}:\s*", re.I),
    re.compile(r"^[*_]{0,2}\s*(?:tweet|post)\s*#?\s*\d+(?:\s*/\s*\d+)?\s*[*_]{0,2}\s*[:.)\-–—]?\s*[*_]{0,2}\s*", re.I),
    re.compile(r"^[(\[]?\d{1,2}\s*/\s*\d{0,2}[)\]]?(?=\s)\s*"),  # "1/3 ", "(1/3) ", "1/ "
    re.compile(r"^\d{1,2}[.)](?=\s)\s*"),  # "1. ", "1) "
    re.compile(rf"^{_KEYCAP}+[:.\-–—]?\s*"),  # "1️⃣ "
    re.compile(r"^[-•·]\s+"),  # a list bullet
]
_TRAILING_NUMBER = re.compile(r"\s*[(\[]?\d{1,2}\s*/\s*\d{1,2}[)\]]?\s*$")
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__", re.S)
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_CODE = re.compile(r"`{1,3}([^`]*)`{1,3}")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_HEADING_LINE = re.compile(r"^#{1,6}\s+", re.M)
_QUOTES = {'"': '"', "“": "”", "'": "'", "‘": "’", "«": "»", "「": "」", "『": "』"}
# twitter-text's mention rule: not after a word character or another sign; 1-20 word characters.
_MENTION = re.compile(r"(?<![A-Za-z0-9_!#$%&*@＠])[@＠]([A-Za-z0-9_]{1,20})(?![@＠A-Za-z0-9_]|://)")
# Words that only pointed at a link ("Read more: https://..."): they go with the link.
_LEAD_IN = re.compile(r"(?:\b(?:read(?: more| it| this| here| the (?:full )?(?:post|article|piece|story))?|check it out|link|full (?:post|article|story)"
                      r"|more here|details)\s*)?[:\-–—→👉👇]*\s*$", re.I)
_ARROWS = re.compile(r"[→👉👇]\s*$")
_DANGLING = re.compile(r"\s*(?:[:\-–—→]|👉|⬇️?|👇)+\s*$")


def normalize_url(url: str) -> str:
    """A URL reduced for comparison: no scheme, lower-case host without `www.`, no trailing slash or fragment."""
    raw = url.strip()
    parts = urlsplit(raw if "://" in raw else f"https://{raw}")
    host = (parts.hostname or "").lower()
    host = host[4:] if host.startswith("www.") else host
    try:
        number = parts.port
    except ValueError:  # not a URL at all (an Atom id such as tag:example.org,2026:post): no port to compare
        number = None
    port = f":{number}" if number and number not in (80, 443) else ""
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{port}{path}{query}"


def drop_urls(text: str, keep: Callable[[str], bool]) -> str:
    """`text` without the URLs for which `keep(url)` is false (spaces left behind are not yet collapsed)."""
    text = unicodedata.normalize("NFC", text)
    for start, end in reversed(url_spans(text)):
        if not keep(text[start:end]):
            at_end = not text[end:].strip(" \t") or text[end:].lstrip(" \t").startswith("\n")
            head = _LEAD_IN.sub("", text[:start]) if at_end else _ARROWS.sub("", text[:start])
            text = head + (" " if head and not head[-1].isspace() else "") + text[end:]
    return text


@lru_cache(maxsize=16)
def _article_urls(article: Article) -> frozenset[str]:
    """Normalised URLs the article really contains: its links, its own address, and URLs in its text."""
    found = set(article.links) | {u for u in (article.entry.link, article.entry.guid) if u and "." in u}
    found |= set(urls(article.text))
    return frozenset(normalize_url(u) for u in found)


def _handles(names: Iterable[str]) -> frozenset[str]:
    return frozenset(n.strip().lstrip("@＠").lower() for n in names if n.strip())


def _strip_scaffolding(text: str) -> str:
    for _ in range(8):
        before = text
        text = text.strip().strip("*_").strip()
        for pattern in _LEADERS:
            text = pattern.sub("", text, count=1)
        if text == before:
            break
    return _TRAILING_NUMBER.sub("", text)


def _strip_markdown(text: str) -> str:
    text = _MD_LINK.sub(lambda m: f"{m.group(1)} {m.group(2)}", text)
    text = _BOLD.sub(lambda m: m.group(1) or m.group(2), text)
    text = _ITALIC.sub(r"\1", text)
    text = _CODE.sub(r"\1", text)
    return _HEADING_LINE.sub("", text)


def _unquote(text: str) -> str:
    while len(text) >= 2 and _QUOTES.get(text[0]) == text[-1]:
        inner = text[1:-1]
        if text[0] in inner or text[-1] in inner:  # 'a' and 'b' are two quotes, not one wrapped tweet
            break
        text = inner.strip()
    return text


def _no_controls(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return "".join(c for c in text if c == "\n" or unicodedata.category(c) != "Cc")


def normalize_space(text: str) -> str:
    """Runs of spaces collapsed, lines stripped, blank lines removed (at most single newlines), ends stripped."""
    lines = (re.sub(r"[^\S\n]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def clean_tweet(text: str, article: Article) -> str:
    """One tweet from a model without markdown, scaffolding, foreign URLs or foreign @mentions."""
    text = _no_controls(sanitize(text))
    text = _strip_markdown(text)
    text = _unquote(_strip_scaffolding(normalize_space(text)))
    try:
        allowed = _article_urls(article)
    except TypeError:  # an Article built with unhashable parts (a list for a tuple) is checked uncached
        allowed = _article_urls.__wrapped__(article)
    text = drop_urls(text, lambda url: normalize_url(url) in allowed)
    mentions = _handles(article.mentions)
    text = _MENTION.sub(lambda m: m.group(0) if m.group(1).lower() in mentions else "", text)
    text = normalize_space(text)
    # What pointed at a removed link ("Read more: ", "👇") goes too; a comma left behind by a removed
    # mention closes up, and so does a full stop. (Not ; : ! ? — French spaces those on purpose.)
    text = _DANGLING.sub("", text) or text
    text = re.sub(r" +([,.])(?=\s|$)", r"\1", text)
    return _unquote(normalize_space(text))
