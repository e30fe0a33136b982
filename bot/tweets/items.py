"""What a reader takes for an address, a handle or a cashtag in a tweet, found as spans of the text as written.

X links only what twitter-text extracts (bot.tweets.length.url_spans), but a person reads more as an address:
`evil.example/promo`, `http://1.2.3.4/x`, `evil[.]com`, `hxxps://…`, `javascript:…`, an e-mail, a host spelled
with Cyrillic or fullwidth look-alikes. Every pattern runs on a folded copy of the text in which each character
maps to exactly one character (fullwidth ASCII to ASCII, common Cyrillic and Greek look-alikes to Latin), so a
span found in the copy is the same span in the original. Hand-written: confusable detection libraries map whole
strings (lengths change) and none knows defanged or scheme-less forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from bot.tweets.entities import cashtag_entities
from bot.tweets.length import url_spans

_LOOKALIKE = str.maketrans("аеорсухіјѕԁһԛԝӏАВЕКМНОРСТХІЈЅΑΒΕΖΗΙΚΜΝΟΡΤΥΧοαν",
                           "aeopcyxijsdhqwlABEKMHOPCTXIJSABEZHIKMNOPTYXoav")
_SCHEME = re.compile(r"(?i)\b[a-z][a-z0-9+.-]{1,15}\s*:\s*//[^\s<>\"“”]*|(?<![\w/:])//[a-z0-9-]+\.[^\s<>\"“”]*")
_PSEUDO_SCHEME = re.compile(r"(?i)\b(?:h[x*]{2}ps?|hxxp|javascript|vbscript|data|file|mailto)\s*:[^\s<>\"“”]*")
_DEFANGED = re.compile(r"(?i)[^\s<>\"“”]*[a-z0-9]\s?(?:\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\[\s*\.\s*\])\s?[a-z0-9][^\s<>\"“”]*"
                       r"|\b[a-z0-9-]+\s+dot\s+(?:com|net|org|io|co|info|biz|xyz)\b"
                       r"|\b[a-z0-9-]{2,}(?:\s+\.\s*|\.\s+)(?:com|net|org|io|co|info|biz|xyz|me|ly|gg|app|dev)\b(?:/[^\s]*)?")
_IP = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?:/[^\s<>\"“”]*)?|\[[0-9a-f:]{3,}\](?::\d{1,5})?(?:/[^\s]*)?", re.I)
_EMAIL = re.compile(r"@?[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DOMAIN = re.compile(r"(?i)(?<![\w@#$.\-/])((?:www\d?\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,24}|xn--[a-z0-9-]{1,59}))"
                     r"(?![\w-])(:\d{1,5})?(/[^\s<>\"“”]*)?")
# twitter-text's mention: not after a word character or a sign; 1-20 word characters (X allows 15, reads 20).
_MENTION = re.compile(r"(?<![A-Za-z0-9_!#$%&*@])@([A-Za-z0-9_]{1,20})(?![A-Za-z0-9_])")
# A handle with a domain (Bluesky's @name.bsky.social, @name.example): never an X handle, even when it starts
# with one (the article's @quietindex is not @quietindex.evil.example, whom a Bluesky mention facet would name),
# and one after a sign X links no mention behind ("news!@eve.bsky.social") is still one to a reader.
_DOTTED = re.compile(r"(?<![\w@])@[A-Za-z0-9_-]+(?:\.[A-Za-z0-9-]+)+")
# After a sign X links no mention behind ("news!@bob"), but Mastodon does (only a word character, = or / stops it).
_SIGNED = re.compile(r"(?<=[!#$%&*])@[A-Za-z0-9_]+")
_CASHTAG = re.compile(r"(?<![\w$])\$([A-Za-z]{1,6}(?:[._][A-Za-z]{1,2})?)(?![\w])")
_TRAILING = ".,;:!?)]}\"'”’»。，、！？"


@dataclass(frozen=True, slots=True)
class Item:
    """One thing in a tweet that needs the article's permission: kind is url, address, handle or cashtag."""

    kind: str
    start: int
    end: int
    text: str


def fold(text: str) -> str:
    """`text` with fullwidth ASCII and Latin look-alike letters mapped one-to-one to ASCII (same length)."""
    out = []
    for c in text:
        code = ord(c)
        if 0xFF01 <= code <= 0xFF5E:
            c = chr(code - 0xFEE0)
        elif c in "\u3002\uff61\u2024\ufe52\u0701\u0702\ua4f8":  # read as a dot inside a host name
            c = "."
        elif c in "\u2215\u2044\u29f8\uff0f":  # read as a slash
            c = "/"
        elif c in "\ua789\u02d0\u2236\ufe55":  # read as a colon
            c = ":"
        out.append(c)
    return "".join(out).translate(_LOOKALIKE)


@lru_cache(maxsize=1)
def _tlds() -> frozenset[str]:
    """Top-level domains of the ICANN section of the Public Suffix List (bundled with publicsuffixlist)."""
    from importlib.resources import files

    data = files("publicsuffixlist").joinpath("public_suffix_list.dat").read_text("utf-8")
    names = set()
    for line in data.split("===END ICANN DOMAINS===")[0].splitlines():
        line = line.strip()
        if line and not line.startswith("//"):
            names.add(line.rsplit(".", 1)[-1].lstrip("!*").lower())
    return frozenset(names)


def _trim(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1] in _TRAILING:
        if text[end - 1] == ")" and text[start:end].count("(") >= text[start:end].count(")"):
            break
        end -= 1
    return end


def find(text: str) -> list[Item]:
    """Every URL, address-like text, @handle and $cashtag in `text`, longest first where they overlap."""
    folded = fold(text)
    found: list[Item] = []

    def add(kind: str, start: int, end: int) -> None:
        end = _trim(folded, start, end)
        if end > start and not any(i.start <= start and end <= i.end for i in found):
            found[:] = [i for i in found if not (start <= i.start and i.end <= end)]
            found.append(Item(kind, start, end, text[start:end]))

    for s, e in url_spans(text):
        add("url", s, e)
    for s, e in url_spans(folded) if folded != text else []:
        add("url", s, e)
    for pattern in (_SCHEME, _PSEUDO_SCHEME, _DEFANGED, _IP, _EMAIL):
        for m in pattern.finditer(folded):
            add("address", m.start(), m.end())
    for m in _DOMAIN.finditer(folded):
        host, tld, path = m.group(1).lower(), m.group(2).lower(), m.group(4)
        if tld in _tlds() or tld.startswith("xn--") or host.startswith("www") or (path and len(path) > 1):
            add("address", m.start(), m.end())
    for pattern in (_DOTTED, _MENTION, _SIGNED):
        for m in pattern.finditer(folded):
            add("handle", m.start(), m.end())
    for start, end, _symbol in cashtag_entities(text):  # exactly what X links ($ab_cd, $ab before a host)
        add("cashtag", start, end)
    for m in _CASHTAG.finditer(folded):
        add("cashtag", m.start(), m.end())
    return sorted(found, key=lambda i: i.start)


def normalize_url(url: str) -> str:
    """A URL reduced for comparison: no scheme, lower-case host without `www.`, no trailing slash or fragment."""
    raw = url.strip()
    parts = urlsplit(raw if "://" in raw else f"https://{raw}")
    try:
        host = (parts.hostname or "").lower()
        number = parts.port
    except ValueError:  # not a URL at all (an Atom id such as tag:example.org,2026:post): no port to compare
        host, number = (parts.netloc or "").lower(), None
    host = host[4:] if host.startswith("www.") else host
    port = f":{number}" if number and number not in (80, 443) else ""
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{port}{path}{query}"


def permitted(item: Item, urls: frozenset[str], handles: frozenset[str], cashtags: frozenset[str]) -> bool:
    """True when the article allows this item: one of its own URLs (as written, ASCII host, no user info),
    one of its X handles, or a cashtag it contains."""
    if item.kind == "handle":
        return item.text.lstrip("@＠").lower() in handles and item.text.isascii()
    if item.kind == "cashtag":
        return item.text.lstrip("$＄").lower() in cashtags and item.text.isascii()
    if item.kind != "url" or not item.text.isascii():
        return False
    raw = item.text if "://" in item.text else f"https://{item.text}"
    parts = urlsplit(raw)
    if "@" in parts.netloc or parts.scheme.lower() not in ("http", "https"):
        return False
    return normalize_url(item.text) in urls
