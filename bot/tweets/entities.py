"""X's entities as twitter-text 3.1.0 extracts them: URLs, @mentions, #hashtags and $cashtags.

A port of twitter-text's JS extractors (extractUrlsWithIndices, extractMentionsWithIndices,
extractHashtagsWithIndices, extractCashtagsWithIndices), regex for regex, so that a URL ends exactly where X ends
it: a host must end in one of twitter-text's TLDs followed by its lookahead `(?=[^0-9a-zA-Z@+-]|$)`, so
`“https://evil.com”`, `https://evil.com。`, `evil.com’s` and an emoji after a host all end the URL at the TLD.
The TLDs are twitter-text's own list (bot/data/twitter_text_tlds.txt, its regex order), not the Public Suffix
List: X links what twitter-text links. Hand-written because no maintained Python package does this: the one port
(`twitter-text-parser`) lags the reference (see tests/oracle/README.md).

The translation keeps JS semantics where Python's differ: `$` is `\\Z` (Python's `$` also matches before a final
newline), classes spell out `A-Za-z` instead of using IGNORECASE (Python's case folding lets `[a-z]` match
"ſ" and the Kelvin sign, JS's does not), and JS's `\\s` is its own class. Spans are (start, end) code-point
indices into the text as given; call on NFC text to match what X counts.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from importlib.resources import files

from bot.tweets import twitter_tables as tables

MAX_URL_LENGTH = 4096
MAX_TCO_SLUG_LENGTH = 40
MAX_LABEL_LENGTH = 63

_PUNCT = r"!'#%&()*+,\\\-./:;<=>?@\[\]\^_{|}~$"
_SPACES = r"\x09-\x0D\x20\x85\xA0\u1680\u180E\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"
_INVALID = r"\uFFFE\uFEFF\uFFFF"
_DIRECTIONAL = r"\u202A-\u202E\u061C\u200E\u200F\u2066\u2067\u2068\u2069"
_JS_SPACE = r"\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"  # JS's \s
_LATIN = (r"\xC0-\xD6\xD8-\xF6\xF8-\xFF\u0100-\u024F\u0253\u0254\u0256\u0257\u0259\u025B\u0263\u0268\u026F"
          r"\u0272\u0289\u028B\u02BB\u0300-\u036F\u1E00-\u1EFF")
_CYRILLIC = r"\u0400-\u04FF"
_AT, _HASH = "[@＠]", "[#＃]"


def _ci(text: str, ascii_folded: bool = False) -> str:
    """`text` as a pattern matched case-insensitively the way a JS regex with the `i` flag (no `u`) matches it.

    With `ascii_folded`, ASCII letters stay as they are, for a pattern inside `(?ai:...)` (case folded for ASCII
    only: the same matches, and a TLD list that Python compiles in a third of the time)."""
    out = []
    for char in text:
        if ascii_folded and char.isascii():
            out.append(re.escape(char))
            continue
        upper = char.upper()
        if upper != char and len(upper) == 1 and not (upper.isascii() and not char.isascii()):
            out.append(f"[{re.escape(char)}{re.escape(upper)}]")
        else:
            out.append(re.escape(char))
    return "".join(out)


_Trie = dict[str, "_Trie"]


def _trie(words: list[str], ascii_folded: bool = False) -> str:
    """An alternation of `words` that tries them in descending code-point order, as a trie (for speed)."""
    tree: _Trie = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: _Trie) -> str:
        # Descending order with the end of a word last tries a longer word before its prefix, as the
        # reverse-sorted JS alternation does.
        parts = [_ci(c, ascii_folded) + emit(node[c]) for c in sorted((c for c in node if c), reverse=True)]
        if "" in node:
            parts.append("")
        if len(parts) == 1:
            return parts[0]
        return "(?:" + "|".join(parts) + ")"

    return emit(tree)


@lru_cache(maxsize=1)
def tlds() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(generic, country-code) TLDs of twitter-text 3.1.0, in its order."""
    data = files("bot").joinpath("data", "twitter_text_tlds.txt").read_text("utf-8")
    rows = [line.split(" ", 1) for line in data.splitlines() if line and not line.startswith("#")]
    return tuple(t for k, t in rows if k == "g"), tuple(t for k, t in rows if k == "c")


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    """Every pattern, compiled from the sources the review page's script also runs (JS has no `(?ai:...)`)."""
    return {name: re.compile(source) for name, source in _sources(js=True).items()}


@cache
def _pattern(name: str) -> re.Pattern[str]:
    """One pattern, compiled when first used: the hashtag and bare-host ones (0.1 s each) only for a text that
    has a "#" or a host without "https://"."""
    return re.compile(_sources(js=False)[name])


@lru_cache(maxsize=2)
def _sources(js: bool) -> dict[str, str]:
    """The patterns' sources: for JS (the review page) or for Python, which matches the same texts."""
    tld_end = r"(?=[^0-9a-zA-Z@+\-]|\Z)"
    if js:
        generic, country = tlds()
        for group in (generic, country):
            # The trie tries a longer TLD before its prefix; the JS alternation does too (its list is reverse-sorted
            # but for "onion", appended last and no one's prefix), so the two agree on every text.
            order = {t: i for i, t in enumerate(group)}
            assert all(order[t] < order[t[:n]] for t in group for n in range(1, len(t)) if t[:n] in order)
        tld = rf"(?:{_trie(list(generic))}{tld_end}|{_trie(list(country))}{tld_end}|[xX][nN]--[\-0-9a-zA-Z]+)"
    else:  # the same TLDs, ASCII letters folded by the flag rather than spelled [cC][oO][mM]; the tries are built
        # once, into twitter_tables.py (tests/tweets/test_compact_tables.py checks them against the TLD file)
        tld = (rf"(?:(?ai:{tables.TLD_GENERIC}){tld_end}|(?ai:{tables.TLD_COUNTRY}){tld_end}"
               rf"|[xX][nN]--[\-0-9a-zA-Z]+)")
    dc = rf"[^{_PUNCT}{_SPACES}{_INVALID}{_DIRECTIONAL}]"  # validDomainChars
    subdomain = rf"(?:(?:{dc}(?:[_\-]|{dc})*)?{dc}\.)"
    domain_name = rf"(?:(?:{dc}(?:-|{dc})*)?{dc}\.)"
    domain = rf"(?:{subdomain}*{domain_name}{tld})"
    path_char = rf"[a-zA-Z{_CYRILLIC}0-9!*';:=+,.$/%#\[\]\-\u2013_~@|&{_LATIN}]"
    parens = rf"\((?:{path_char}+|(?:{path_char}*\({path_char}+\){path_char}*))\)"
    path_end = rf"(?:[+\-a-zA-Z{_CYRILLIC}0-9=_#/{_LATIN}]|(?:{parens}))"
    path = rf"(?:(?:{path_char}*(?:{parens}{path_char}*)*{path_end})|(?:@{path_char}+/))"
    query_char = r"[a-zA-Z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]"
    query_end = r"[a-zA-Z0-9\-_&=#/]"
    before = rf"(?:[^A-Za-z0-9@＠$#＃{_INVALID}]|[{_DIRECTIONAL}]|^)"
    alpha = rf"[{tables.BMP_LETTERS_AND_MARKS}{tables.ASTRAL_LETTERS_AND_MARKS}]"
    special = r"_\u200c\u200d\ua67e\u05be\u05f3\u05f4\uff5e\u301c\u309b\u309c\u30a0\u30fb\u3003\u0f0b\u0f0c\xb7"
    alnum = (rf"[{tables.BMP_LETTERS_AND_MARKS}{tables.BMP_NUMERALS}{special}"
             rf"{tables.ASTRAL_LETTERS_AND_MARKS}{tables.ASTRAL_NUMERALS}]")
    return {
        "url": (rf"({before})(([hH][tT][tT][pP][sS]?://)?({domain})(?::([0-9]+))?(/{path}*)?"
                rf"(\?{query_char}*{query_end})?)"),
        "ascii_domain": rf"(?:(?:[\-a-zA-Z0-9{_LATIN}]+)\.)+{tld}",
        "tco": rf"^[hH][tT][tT][pP][sS]?://[tT]\.[cC][oO]/([a-zA-Z0-9]+)(?:\?{query_char}*{query_end})?",
        "cashtag": rf"(^|[{_SPACES}])(\$)([a-zA-Z]{{1,6}}(?:[._][a-zA-Z]{{1,2}})?)(?=\Z|[{_JS_SPACE}]|[{_PUNCT}])",
        "mention": (rf"((?:^|[^a-zA-Z0-9_!#$%&*@＠]|(?:^|[^a-zA-Z0-9_+~.\-])(?:rt|RT|rT|Rt):?))"
                    rf"({_AT})([a-zA-Z0-9_]{{1,20}})(/[a-zA-Z][a-zA-Z0-9_\-]{{0,24}})?"),
        "mention_end": rf"(?:{_AT}|[{_LATIN}]|://)",
        "hashtag": (rf"((?:^|\uFE0E|\uFE0F|\Z|(?!{alnum}|&)(?s:.)))({_HASH})(?!\uFE0F|\u20E3)"
                    rf"({alnum}*{alpha}{alnum}*)"),
        "hashtag_end": rf"(?:{_HASH}|://)",
    }


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _punycode_label(label: str) -> str:
    """punycode.js 1.4.1's toASCII of one label: labels with a char outside U+0020-U+007E become xn--…."""
    label = _joined(label)  # punycode.js decodes UTF-16 into code points first
    parts = re.split("[.\u3002\uff0e\uff61]", label)
    out = []
    for part in parts:
        if re.search(r"[^\x20-\x7e]", part):
            out.append("xn--" + part.encode("punycode", "surrogatepass").decode("ascii", "replace"))
        else:
            out.append(part)
    return ".".join(out)


def _to_ascii(domain: str) -> str | None:
    """twitter-text's idna.toAscii: None when a label is empty or its punycode form exceeds 63 characters."""
    if domain.startswith("xn--") and not _pattern("ascii_domain").search(domain):
        return None
    for label in domain.split("."):
        try:
            encoded = _punycode_label(label)
        except (UnicodeError, ValueError):
            return None
        if not 1 <= len(encoded) <= MAX_LABEL_LENGTH:
            return None
    return domain


def _valid_url(url: str, protocol: str, domain: str) -> bool:
    ascii_domain = _to_ascii(domain)
    if not ascii_domain:
        return False
    return _utf16(protocol) + _utf16(url) + len(ascii_domain) - _utf16(domain) <= MAX_URL_LENGTH


def _as_utf16(text: str) -> tuple[str, list[int]]:
    """`text` with each astral character split into its two surrogates (the UTF-16 units a JS regex walks), and
    the code-point index of every unit (plus the end)."""
    units: list[str] = []
    index: list[int] = []
    for i, char in enumerate(text):
        code = ord(char)
        if code > 0xFFFF:
            code -= 0x10000
            units += [chr(0xD800 + (code >> 10)), chr(0xDC00 + (code & 0x3FF))]
            index += [i, i]
        else:
            units.append(char)
            index.append(i)
    index.append(len(text))
    return "".join(units), index


def _url_units(text: str) -> list[tuple[int, int, str]]:
    """extractUrlsWithIndices on UTF-16 units: (start, end, url), indices in units, url as twitter-text gives it."""
    found: list[tuple[int, int, str]] = []
    for m in _pattern("url").finditer(text):
        before, url, protocol, domain, path = m.group(1), m.group(2), m.group(3), m.group(4), m.group(6)
        start, end = m.start(2), m.end(2)
        if not _valid_url(url, protocol or "https://", domain):
            continue
        if not protocol:
            if before and before[-1] in "-_./":  # invalidUrlWithoutProtocolPrecedingChars
                continue
            ascii_found = [(start + a.start(), start + a.end(), a.group(0))
                           for a in _pattern("ascii_domain").finditer(domain)]
            if not ascii_found:
                continue
            if path:  # the path joins the last host found; the span runs to the path's end, as in the JS
                s, _, host = ascii_found[-1]
                ascii_found[-1] = (s, end, url.replace(domain, host, 1))
            found.extend(ascii_found)
            continue
        tco = _pattern("tco").match(url)
        if tco:
            if len(tco.group(1)) > MAX_TCO_SLUG_LENGTH:
                continue
            url, end = tco.group(0), start + len(tco.group(0))
        found.append((start, end, url))
    return found


def url_entities(text: str) -> list[tuple[int, int, str]]:
    """(start, end, url) of every URL twitter-text extracts from `text` (extractUrlsWithIndices), in code points.

    The regexes run on UTF-16 units as in JS, so that an emoji right before a host behaves as it does there
    (its low surrogate may begin a domain: "a.com/😀.b.com" holds two URLs)."""
    if not text or "." not in text:
        return []
    units, index = _as_utf16(text)
    return [(index[s], index[e], _joined(url)) for s, e, url in _url_units(units)]


def _joined(units: str) -> str:
    """UTF-16 units back to code points (a surrogate pair becomes its character)."""
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def url_weight_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) in code points of what parseTweet weighs 23 for each URL: `len(url)` UTF-16 units from its
    start (for a bare host with a path, twitter-text's url can be shorter than its span)."""
    if not text or "." not in text:
        return []
    units, index = _as_utf16(text)
    return [(index[s], index[min(s + len(url), len(units))]) for s, _, url in _url_units(units)]


def _without_overlaps(entities: list[tuple[int, int, str, str]]) -> list[tuple[int, int, str, str]]:
    """twitter-text's removeOverlappingEntities: sorted by start, an entity overlapping the one kept before goes."""
    kept: list[tuple[int, int, str, str]] = []
    for entity in sorted(entities, key=lambda e: e[0]):
        if not kept or kept[-1][1] <= entity[0]:
            kept.append(entity)
    return kept


def cashtag_entities(text: str) -> list[tuple[int, int, str]]:
    """(start, end, symbol) of every $cashtag twitter-text extracts; the span includes the "$", symbol does not."""
    if "$" not in text:
        return []
    return [(m.start(2), m.end(3), m.group(3)) for m in _pattern("cashtag").finditer(text)]


def mention_or_list_entities(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, screen name, "/list" or "") of every @mention or @user/list twitter-text extracts."""
    if not re.search(_AT, text):
        return []
    found = []
    for m in _pattern("mention").finditer(text):
        if _pattern("mention_end").match(text, m.end()):
            continue
        found.append((m.start(2), m.end(), m.group(3), m.group(4) or ""))
    return found


def mention_entities(text: str) -> list[tuple[int, int, str]]:
    """(start, end, screen name) of every @mention twitter-text extracts (lists excluded); the span includes "@"."""
    return [(s, e, name) for s, e, name, slug in mention_or_list_entities(text) if not slug]


def hashtag_entities(text: str, check_url_overlap: bool = True) -> list[tuple[int, int, str]]:
    """(start, end, tag) of every #hashtag twitter-text extracts; one inside a URL is not a hashtag."""
    if not re.search(_HASH, text):
        return []
    tags = [(m.start(2), m.end(3), m.group(3), "hashtag") for m in _pattern("hashtag").finditer(text)
            if not _pattern("hashtag_end").match(text, m.end())]
    if check_url_overlap and tags:
        urls = [(s, e, u, "url") for s, e, u in url_entities(text)]
        if urls:
            tags = [t for t in _without_overlaps(tags + urls) if t[3] == "hashtag"]
    return [(s, e, tag) for s, e, tag, _ in tags]


def reply_to(text: str) -> str | None:
    """The screen name a text replies to when it starts with an @mention (twitter-text's extractReplies)."""
    m = re.match(rf"(?:[{_SPACES}])*{_AT}([a-zA-Z0-9_]{{1,20}})", text or "")
    if not m or _pattern("mention_end").match(text, m.end()):
        return None
    return m.group(1)
