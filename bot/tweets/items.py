"""What a reader takes for an address, a handle or a cashtag in a tweet, found as spans of the text as written.

X links only what twitter-text extracts (bot.tweets.length.url_spans), but a person reads more as an address:
`evil.example/promo`, `http://1.2.3.4/x`, `hxxps://…`, `javascript:…`, an e-mail, `evil.eth`, `-evil.com/red`, and
every disguise bot.tweets.readable folds away (compatibility forms, look-alike letters from any script, dot
look-alikes and spelled-out dots, letter-spacing, invisible characters). Every pattern runs on that reading, whose
map gives each match back as a span of the original text; each Item carries what it reads as (`key`), so the
article's own items are recognised whatever their disguise, and whether it needed a look-alike letter to read so
(`homograph`: never the article's, whatever it reads as).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from bot.tweets.entities import cashtag_entities
from bot.tweets.length import url_spans
from bot.tweets.readable import read

_STOP = r"[^\s<>\"“”«»]"
_SCHEME = re.compile(rf"(?<![a-z0-9])[a-z][a-z0-9+.-]{{1,15}}\s*:\s*//{_STOP}*|(?<![a-z0-9/:])//[a-z0-9-]+\.{_STOP}*")
_PSEUDO_SCHEME = re.compile(rf"\b(?:h[x*]{{2}}ps?|hxxp|javascript|vbscript|data|file|mailto)\s*:{_STOP}*")
_IP = re.compile(rf"(?<![a-z0-9.])\d{{1,3}}(?:\.\d{{1,3}}){{3}}(?::\d{{1,5}})?(?:/{_STOP}*)?|\[[0-9a-f:]{{3,}}\](?::\d{{1,5}})?(?:/\S*)?")
_EMAIL = re.compile(r"@?[a-z0-9_.+-]+@[a-z0-9_-]+(?:\.[a-z0-9_-]+)+")
# A host glued to any sign (-evil.com, /evil.com, _evil.com, #evil.com) is still read as one: only a letter or a
# digit before it makes it part of another word.
_DOMAIN = re.compile(rf"(?<![a-z0-9])((?:www\d?\.)?(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)+([a-z]{{2,24}}|xn--[a-z0-9-]{{1,59}}))"
                     rf"(?![a-z0-9-])(:\d{{1,5}})?(/{_STOP}*)?")
# A handle: word characters after @ (X links the first 20 of a longer run), after anything but a letter, a digit or
# a sign X links no mention behind; "@@evil" is a mention on Mastodon, and after Japanese text ("Xで@name") on X.
# Judged on the character as written (X's rule): "é@name" and "で@name" are mentions, "e@name" is not.
_MENTION = re.compile(r"@([a-z0-9_]+)")
_NOT_BEFORE_MENTION = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_!#$%&*")
# A handle with a domain (Bluesky's @name.bsky.social, @name.example): never an X handle, even when it starts
# with one (the article's @quietindex is not @quietindex.evil.example, whom a Bluesky mention facet would name).
_DOTTED = re.compile(r"(?<![a-z0-9_])@[a-z0-9_-]+(?:\.[a-z0-9-]+)+")
# After a sign X links no mention behind ("news!@bob"), but Mastodon does (only a word character, = or / stops it).
_SIGNED = re.compile(r"(?<=[!#$%&*])@[a-z0-9_]+")
# A cashtag of any length, after anything but a letter or a digit (so "$" straight after Japanese text counts).
_CASHTAG = re.compile(r"(?<![a-z0-9_$])\$([a-z][a-z0-9_]*(?:\.[a-z]{1,2})?)(?![a-z0-9_])")
_TRAILING = ".,;:!?)]}\"'”’»。，、！？"
# Names a reader takes for a wallet or a domain though no ICANN registry holds them (ENS, Solana, Unstoppable).
CRYPTO_SUFFIXES = frozenset({"eth", "sol", "crypto", "nft", "wallet", "bitcoin", "dao", "blockchain", "zil", "bnb",
                             "arb", "ton", "coin", "polygon", "klever", "hbar", "lens", "avax", "btc", "x"})


@dataclass(frozen=True, slots=True)
class Item:
    """One thing in a tweet that needs the article's permission: kind is url, address, handle or cashtag; `key`
    is what it reads as (lower case, disguises folded); `homograph` whether that needed a look-alike letter."""

    kind: str
    start: int
    end: int
    text: str
    key: str = ""
    homograph: bool = False


def fold(text: str) -> str:
    """`text` as a reader reads it (bot.tweets.readable): lower case, disguises folded."""
    return read(text).text


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
    """Every URL, address-like text, @handle and $cashtag a reader reads in `text`; where two overlap, one item
    covers both (the kind of the longer)."""
    view = read(text)
    spans: list[tuple[str, int, int]] = []  # (kind, start, end) in the view

    def add(kind: str, start: int, end: int) -> None:
        end = _trim(view.text, start, end)
        if end <= start:
            return
        over = [x for x in spans if x[1] < end and start < x[2]]
        if over:
            longest = max([*over, (kind, start, end)], key=lambda x: x[2] - x[1])
            kind, start, end = longest[0], min(start, *(x[1] for x in over)), max(end, *(x[2] for x in over))
            spans[:] = [x for x in spans if x not in over]
        spans.append((kind, start, end))

    def add_original(kind: str, start: int, end: int) -> None:  # a span of `text`: its view span is what it reads
        inside = [k for k in range(len(view.text)) if start <= view.starts[k] and view.ends[k] <= end]
        if inside:
            add(kind, inside[0], inside[-1] + 1)

    for s, e in url_spans(text):
        add_original("url", s, e)
    for s, e in url_spans(view.text):  # what X would link once the disguise is read
        a, b = view.span(s, e)
        plain = unicodedata.normalize("NFKC", text[a:b]).lower() == view.text[s:e]
        add("url" if plain else "address", s, e)
    for pattern in (_SCHEME, _PSEUDO_SCHEME, _IP, _EMAIL):
        for m in pattern.finditer(view.text):
            add("address", m.start(), m.end())
    for m in _DOMAIN.finditer(view.text):
        host, tld, path = m.group(1), m.group(2), m.group(4)
        if (tld in _tlds() or tld in CRYPTO_SUFFIXES or tld.startswith("xn--") or host.startswith("www")
                or (path and len(path) > 1)):
            add("address", m.start(), m.end())
    for pattern in (_DOTTED, _SIGNED):
        for m in pattern.finditer(view.text):
            add("handle", m.start(), m.end())
    for m in _MENTION.finditer(view.text):
        at = view.starts[m.start()]
        if at == 0 or text[at - 1] not in _NOT_BEFORE_MENTION:
            add("handle", m.start(), m.end())
    for start, end, _symbol in cashtag_entities(text):  # exactly what X links ($ab_cd, $ab before a host)
        add_original("cashtag", start, end)
    for m in _CASHTAG.finditer(view.text):
        add("cashtag", m.start(), m.end())
    items = []
    for kind, start, end in spans:
        a, b = view.span(start, end)
        items.append(Item(kind, a, b, text[a:b], view.text[start:end], view.homograph(start, end)))
    return sorted(items, key=lambda i: i.start)


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


def compare_key(item: Item) -> str:
    """The form in which an item is compared with the article's: a URL normalised, an e-mail or a tag as read."""
    if item.kind in ("handle", "cashtag"):
        return item.key.lstrip("@$")
    if "@" in item.key and "://" not in item.key:
        return item.key
    return normalize_url(item.key)


def permitted(item: Item, urls: frozenset[str], handles: frozenset[str], cashtags: frozenset[str],
              written: frozenset[str] = frozenset()) -> bool:
    """True when the article allows this item: one of its visible links or its own address (http or https, no
    user info), one of its X handles, a cashtag it contains, or an address its visible text itself writes
    (`written`: compare_key of every item found in it). A look-alike letter never makes an item the article's."""
    if item.homograph:
        return False
    key = compare_key(item)
    if item.kind == "handle":
        return key in handles and not item.key.count(".")
    if item.kind == "cashtag":
        return key in cashtags
    view = item.key
    if re.match(r"[a-z][a-z0-9+.-]*\s*:(?!\d)", view) and not re.match(r"https?://", view):
        return False  # javascript:, hxxps://, mailto: are never posted as the article's
    raw = view if "://" in view else f"https://{view}"
    parts = urlsplit(raw)
    if "@" in parts.netloc and "://" in view:
        return False
    if key in urls or key in written:
        return True
    return "/" not in key and "@" not in key and any(w.startswith(key + "/") for w in written | urls)
