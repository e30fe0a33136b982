"""What a reader takes for an address, a handle or a cashtag in a tweet, found as spans of the text as written.

X links only what twitter-text extracts (bot.tweets.length.url_spans), but a person reads more as an address:
`evil.example/promo`, `http://1.2.3.4/x`, `hxxps://…`, `javascript:…`, an e-mail, `evil.eth`, `-evil.com/red`, and
every disguise `read` folds away (compatibility forms, look-alike letters from any script, dot
look-alikes and spelled-out dots, letter-spacing, invisible characters). Every pattern runs on that reading, whose
map gives each match back as a span of the original text; each Item carries what it reads as (`key`), so the
article's own items are recognised whatever their disguise, and whether it needed a look-alike letter to read so
(`homograph`: never the article's, whatever it reads as).

How the text is read (`read`): one normalised view in which addresses, handles and cashtags are found, with a
map from every character of the view back to the span of the original it came from.

A reader does not see code points. `𝐞𝐯𝐢𝐥.𝐜𝐨𝐦`, `ⓔⓥⓘⓛ.ⓒⓞⓜ` and `ｅｖｉｌ.ｃｏｍ` read `evil.com` (Unicode compatibility
folding, NFKC); `ᴇᴠɪʟ.ᴄᴏᴍ`, a Cyrillic `о` or a Greek `κ` read as Latin letters (Unicode's confusables, UTS #39,
from the `confusable_homoglyphs` package, which ships confusables.txt; a Latin, Greek or Cyrillic letter it has no
ASCII prototype for is transliterated by `anyascii`); `·`, `‧`, `۔`, `｡`, `。`, `•` read as a dot (every character
confusables.txt gives as a dot look-alike, digits excepted); `evil dot ai`, `evil . ai`, `evil[.]com`,
`evil{dot}com`, `freemint punto xyz`, `evil%2eai` and `e v i l . c o m` read as an address. Invisible characters and combining marks
are not read at all. The view is lower case.

`Reading.homograph(start, end)` says whether a span needed a look-alike letter (not a compatibility form) to read
as ASCII: such an address is never the article's, even when it reads the same (`pennsparκ.org` is another domain
under IDNA, which folds compatibility forms but not look-alikes).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from bot.tweets.entities import cashtag_entities
from bot.tweets.length import url_spans

# Extra dots that confusables.txt does not list as confusable with "." (ideographic, Arabic and halfwidth stops).
_EXTRA_DOTS = "\u3002\uff61\u06d4\ufe52\uff0e\u2e33\u2e30\u0701\u0702"
_IDN = re.compile(r"(?<![\w.-])(?:[^\W_][\w-]*\.)+([^\W\d_]+)")
_SYMBOL_LETTER = re.compile(r"\b(?:LATIN (?:CAPITAL|SMALL) LETTER|SYMBOL LETTER) ([A-Z])$")
_FULL_STOPS = frozenset("\u3002\uff61\u06d4")  # ideographic, halfwidth ideographic and Arabic (Urdu) full stops
# Top-level names a reader takes for a domain when a dot is spelled out or spaced ("evil dot ai", "evil . com").
COMMON_TLDS = ("com|net|org|io|co|ai|app|dev|xyz|me|info|biz|gg|ly|sh|eth|sol|crypto|nft|wallet|site|online|shop|store|"
               "club|tv|cc|ru|cn|top|click|link|live|news|pro|vip|win|bet|fun|lol|tk|ml|ga|cf|gq")
_SCRIPTS = ("LATIN", "GREEK", "CYRILLIC", "COPTIC", "ARMENIAN", "CHEROKEE", "MODIFIER LETTER", "SMALL CAPITAL")
_WRAPPED_DOT = re.compile(r"\s*(?:\[\s*(?:\.|dot)\s*\]|\(\s*(?:\.|dot)\s*\)|\{\s*(?:\.|dot)\s*\}|<\s*(?:\.|dot)\s*>)\s*")
_PERCENT_DOT = re.compile(r"(?<=[a-z0-9])%2e(?=[a-z0-9])")
# "evil dot ai", "evil-dot-com", and the word for the dot in other languages a feed is written in ("freemint punto
# xyz": Spanish and Italian; punkt, ponto, point, nokta, kropka, tečka); not the prose of "the dot com bubble".
_DOT_WORDS = "dot|punto|punkt|ponto|point|nokta|kropka|tecka|pont|piste"
_WORD_DOT = re.compile(rf"(?<![a-z0-9])(?!(?:a|an|the|old|this|that|of)[\s_-])([a-z0-9][a-z0-9-]*)(?:\s+|-|_)(?:{_DOT_WORDS})(?:\s+|-|_)"
                       rf"(?=(?:{COMMON_TLDS})(?![a-z0-9-])(?!\s+(?:bubble|era|boom|bust|crash|compan|startup|days|age|mania)))")
_HOST_ONLY_TLDS = "com|net|org|io|ai|xyz|app|dev|eth|sol|crypto|nft|gg|ly|info|biz|co|ru|cn|tk|ml|ga|cf|gq"
_SPACED_DOT = re.compile(rf"(?<=[a-z0-9])(?:\s+\.\s*|\s*\.\s+)(?=(?:{_HOST_ONLY_TLDS})(?:/|\s*[.!?,;)]*\s*$|\s+\.?$))|"
                         rf"(?<=[a-z0-9])\s+\.\s+(?=(?:{COMMON_TLDS})(?![a-z0-9-]))")
# "evil. com today": a sentence never starts with a lower-case "com", so this dot is a host's (judged as written;
# only names that are no English word, so "love it. me too" stays prose).
# "evil .com": a space before a dot glued to a host's name is no sentence's end.
_SPACE_DOT = re.compile(rf"(?<=[a-z0-9])\s+\.(?=(?:{_HOST_ONLY_TLDS})(?![a-z0-9-]))")
_DOT_SPACE = re.compile(rf"(?<=[a-z0-9])\.\s+(?=(?:{_HOST_ONLY_TLDS})(?![a-z0-9-]))")
# Letters spaced out ("e v i l . c o m", "@ e v i l"): five or more one-character tokens with a dot or an @.
_SPACED_OUT = re.compile(r"(?<!\S)(?:[a-z0-9.@$] ){4,}[a-z0-9.](?!\S)")  # the last one-character token ends it


@dataclass(frozen=True, slots=True)
class Reading:
    """The view (`text`) and, for each of its characters, the start and end of what it reads in the original."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    borrowed: tuple[bool, ...]  # this character read as ASCII only through a look-alike, not a compatibility form

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span that the view's [start, end) reads."""
        return self.starts[start], self.ends[end - 1]

    def homograph(self, start: int, end: int) -> bool:
        return any(self.borrowed[start:end])


@lru_cache(maxsize=1)
def _tables() -> tuple[frozenset[str], dict[str, str]]:
    """Dot look-alikes, and the ASCII prototype of every character confusables.txt maps to one letter or digit
    (bot/data/lookalikes.txt: confusables.txt as the confusable_homoglyphs package ships it, 13 KB of its 1.5 MB)."""
    from importlib.resources import files

    text = files("bot").joinpath("data", "lookalikes.txt").read_text("ascii")
    first, *rows = [line.split() for line in text.splitlines() if not line.startswith("#")]
    dots = {c for c in map(chr, (int(code, 16) for code in first[1:])) if unicodedata.category(c) != "Nd"}
    ascii_of = {chr(int(code, 16)): alnum.lower() for code, alnum, _ in rows if alnum != "-"}
    return frozenset(dots | set(_EXTRA_DOTS) | {"·"}), ascii_of


def _fold(char: str) -> tuple[str, bool]:
    """What one character reads as in the view, and whether that needed a look-alike from another script."""
    dots, ascii_of = _tables()
    if char in dots:
        return ".", False
    if char.isascii():
        return char.lower(), False
    category = unicodedata.category(char)
    if category in ("Cf", "Mn", "Me", "Cc", "Co", "Cs") or char in "\u3164\u115f\u1160\uffa0\u2800":
        return "", False
    folded = unicodedata.normalize("NFKC", char)
    if len(folded) == 1 and folded.isascii() and folded.strip():
        return folded.lower(), False
    # A letter drawn as a symbol (🅴, ⒠, the regional indicator 🇪): read as its letter.
    letter = _SYMBOL_LETTER.search(unicodedata.name(char, "")) if category == "So" else None
    if letter:
        return letter.group(1).lower(), True
    if len(folded) > 1 and category in ("So", "Sm", "Sc", "Sk"):  # ™ is a sign, not the letters TM
        return char, False
    if folded.isascii() and folded.strip():
        return folded.lower(), False
    if len(folded) == 1 and folded in dots:
        return ".", False
    one = folded if len(folded) == 1 else char
    if one in ascii_of:
        return ascii_of[one], True
    if unicodedata.category(one).startswith("L") and unicodedata.name(one, "").startswith(_SCRIPTS):
        from anyascii import anyascii

        latin = anyascii(one).lower()
        if len(latin) == 1 and latin.isalnum():
            return latin, True
    return folded, False


def read(text: str) -> Reading:
    """`text` as a reader reads it (see the module's docstring), with the map back to `text`."""
    if text.isascii():  # the common case: the view is the text in lower case, character for character
        n = len(text)
        view = Reading(text.lower(), tuple(range(n)), tuple(range(1, n + 1)), (False,) * n)
    else:
        chars: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        borrowed: list[bool] = []
        for i, char in enumerate(text):
            folded, lookalike = (char.lower(), False) if char.isascii() else _fold(char)
            if char in _FULL_STOPS and not unicodedata.normalize("NFKC", text[i + 1: i + 2]).islower():
                folded = char  # "Rust。App": a sentence's end in CJK or Urdu text; "evil。com" reads as a host

            for c in folded:
                chars.append(c)
                starts.append(i)
                ends.append(i + 1)
                borrowed.append(lookalike)
        view = Reading("".join(chars), tuple(starts), tuple(ends), tuple(borrowed))
    for pattern in (_WRAPPED_DOT, _PERCENT_DOT, _SPACED_DOT, _SPACE_DOT):
        view = _replace(view, pattern, lambda m: ".")
    view = _replace(view, _WORD_DOT, lambda m: m.group(1) + ".")
    current = view
    view = _replace(view, _DOT_SPACE, lambda m: "." if text[current.starts[m.end()]].islower() else m.group(0))
    return _replace(view, _SPACED_OUT, lambda m: m.group(0).replace(" ", "") if re.search(r"[.@]", m.group(0)) else m.group(0))


def _replace(view: Reading, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str]) -> Reading:
    """The view with each match replaced; a replacement reads the whole original span of what it replaced."""
    if not pattern.search(view.text):
        return view
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    borrowed: list[bool] = []
    last = 0
    for m in pattern.finditer(view.text):
        if m.start() == m.end():
            continue
        chars += view.text[last:m.start()]
        starts += view.starts[last:m.start()]
        ends += view.ends[last:m.start()]
        borrowed += view.borrowed[last:m.start()]
        new = repl(m)
        if new == m.group(0):
            chars += new
            starts += view.starts[m.start():m.end()]
            ends += view.ends[m.start():m.end()]
            borrowed += view.borrowed[m.start():m.end()]
        else:
            lookalike = any(view.borrowed[m.start():m.end()])
            for _ in new:
                chars.append(_)
                starts.append(view.starts[m.start()])
                ends.append(view.ends[m.end() - 1])
                borrowed.append(lookalike)
        last = m.end()
    chars += view.text[last:]
    starts += view.starts[last:]
    ends += view.ends[last:]
    borrowed += view.borrowed[last:]
    return Reading("".join(chars), tuple(starts), tuple(ends), tuple(borrowed))


# --- the items ---

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
# Broader than what X links (bot.tweets.entities) on purpose: any run a reader takes for a handle, of any length.
_READ_HANDLE = re.compile(r"@([a-z0-9_]+)")
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
                             "arb", "ton", "coin", "polygon", "klever", "hbar", "lens", "avax", "btc"})


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
    """`text` as a reader reads it (`read`'s view alone): lower case, disguises folded."""
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
        first, last = bisect_left(view.starts, start), bisect_right(view.ends, end)  # both maps only grow
        if first < last:
            add(kind, first, last)

    for s, e in url_spans(text):
        add_original("url", s, e)
    for s, e in url_spans(view.text) if view.text != text.lower() else []:  # what X links once the disguise is read
        a, b = view.span(s, e)
        plain = unicodedata.normalize("NFKC", text[a:b]).lower() == view.text[s:e]
        add("url" if plain else "address", s, e)
    for m in _IDN.finditer(text) if not text.isascii() else ():  # a host under a non-ASCII TLD ("münchen.рф")
        last = m.group(1)
        ends = [k for k in range(len(last), 1, -1) if not last[:k].isascii() and last[:k].lower() in _tlds()]
        if ends:
            add_original("address", m.start(), m.start(1) + ends[0])
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
    for m in _READ_HANDLE.finditer(view.text):
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
    """The form in which an item is compared with the article's: a URL normalised, an e-mail or a tag as read; an
    address that needed look-alike letters to read as ASCII as its own characters (compatibility forms folded), so
    `пример.рф` is the article's own when it writes `пример.рф`, and `pennsparκ.org` never `pennspark.org`."""
    if item.kind in ("handle", "cashtag"):
        return item.key.lstrip("@$")
    key = unicodedata.normalize("NFKC", item.text).lower() if item.homograph else item.key
    if "@" in key and "://" not in key:
        return key
    return normalize_url(key)


def defanged(item: Item) -> bool:
    """True for an address written so that it does not link: a dot spelled out, bracketed, spaced or replaced by a
    look-alike, letters spaced out, hxxp (an article that writes an address so does not want it linked)."""
    text = unicodedata.normalize("NFKC", item.text).lower()
    return bool(re.search(rf"[\[\](){{}}<>\s]|%2e|\b(?:{_DOT_WORDS})\b|hxxp|h\*\*p", text)) or any(c in _tables()[0] for c in text)


def permitted(item: Item, urls: frozenset[str], handles: frozenset[str], cashtags: frozenset[str],
              written: frozenset[str] = frozenset()) -> bool:
    """True when the article allows this item: one of its visible links or its own address (http or https, no
    user info), one of its X handles, a cashtag it contains, or an address its visible text itself writes
    (`written`: compare_key of every item found in it). A handle or cashtag in look-alike letters is never the
    article's (X and Mastodon name ASCII accounts and tags only)."""
    key = compare_key(item)
    if item.kind == "handle":
        return not item.homograph and key in handles and not item.key.count(".")
    if item.kind == "cashtag":
        return not item.homograph and key in cashtags
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
