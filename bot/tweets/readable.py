"""The text as a reader reads it: one normalised view in which addresses, handles and cashtags are found, with a
map from every character of the view back to the span of the original it came from.

A reader does not see code points. `𝐞𝐯𝐢𝐥.𝐜𝐨𝐦`, `ⓔⓥⓘⓛ.ⓒⓞⓜ` and `ｅｖｉｌ.ｃｏｍ` read `evil.com` (Unicode compatibility
folding, NFKC); `ᴇᴠɪʟ.ᴄᴏᴍ`, a Cyrillic `о` or a Greek `κ` read as Latin letters (Unicode's confusables, UTS #39,
from the `confusable_homoglyphs` package, which ships confusables.txt; a Latin, Greek or Cyrillic letter it has no
ASCII prototype for is transliterated by `anyascii`); `·`, `‧`, `۔`, `｡`, `。`, `•` read as a dot (every character
confusables.txt gives as a dot look-alike, digits excepted); `evil dot ai`, `evil . ai`, `evil[.]com`,
`evil{dot}com`, `evil%2eai` and `e v i l . c o m` read as an address. Invisible characters and combining marks
are not read at all. The view is lower case.

`Reading.homograph(start, end)` says whether a span needed a look-alike letter (not a compatibility form) to read
as ASCII: such an address is never the article's, even when it reads the same (`pennsparκ.org` is another domain
under IDNA, which folds compatibility forms but not look-alikes).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

# Extra dots that confusables.txt does not list as confusable with "." (ideographic, Arabic and halfwidth stops).
_EXTRA_DOTS = "\u3002\uff61\u06d4\ufe52\uff0e\u2e33\u2e30\u0701\u0702"
# Top-level names a reader takes for a domain when a dot is spelled out or spaced ("evil dot ai", "evil . com").
COMMON_TLDS = ("com|net|org|io|co|ai|app|dev|xyz|me|info|biz|gg|ly|sh|eth|sol|crypto|nft|wallet|site|online|shop|store|"
               "club|tv|cc|ru|cn|top|click|link|live|news|pro|vip|win|bet|fun|lol|tk|ml|ga|cf|gq")
_SCRIPTS = ("LATIN", "GREEK", "CYRILLIC", "COPTIC", "ARMENIAN", "CHEROKEE", "MODIFIER LETTER", "SMALL CAPITAL")
_WRAPPED_DOT = re.compile(r"\s*(?:\[\s*(?:\.|dot)\s*\]|\(\s*(?:\.|dot)\s*\)|\{\s*(?:\.|dot)\s*\}|<\s*(?:\.|dot)\s*>)\s*")
_PERCENT_DOT = re.compile(r"(?<=[a-z0-9])%2e(?=[a-z0-9])")
_WORD_DOT = re.compile(rf"(?<=[a-z0-9])\s+dot\s+(?=(?:{COMMON_TLDS})(?![a-z0-9-]))")
_SPACED_DOT = re.compile(rf"(?<=[a-z0-9])(?:\s+\.\s*|\s*\.\s+)(?=(?:{COMMON_TLDS})(?:/|\s*[.!?,;)]*\s*$|\s+\.?$))|"
                         rf"(?<=[a-z0-9])\s+\.\s+(?=(?:{COMMON_TLDS})(?![a-z0-9-]))")
# "evil. com today": a sentence never starts with a lower-case "com", so this dot is a host's (judged as written).
_DOT_SPACE = re.compile(rf"(?<=[a-z0-9])\.\s+(?=(?:{COMMON_TLDS})(?![a-z0-9-]))")
# Letters spaced out ("e v i l . c o m", "@ e v i l"): five or more one-character tokens with a dot or an @.
_SPACED_OUT = re.compile(r"(?<!\S)(?:[a-z0-9.@$] ){4,}[a-z0-9.]+(?!\S)")


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
    """Dot look-alikes, and the ASCII prototype of every character confusables.txt maps to one letter or digit."""
    from confusable_homoglyphs import confusables

    data = confusables.confusables_data
    dots = {e["c"].strip("\u200e") for key in (".", "·") for e in data.get(key, [])}
    dots = {c for c in dots if len(c) == 1 and unicodedata.category(c) != "Nd"} | set(_EXTRA_DOTS) | {"·"}
    ascii_of: dict[str, str] = {}
    for char, entries in data.items():
        if len(char) != 1 or char.isascii():
            continue
        for entry in entries:
            target = entry["c"].strip("\u200e")
            if len(target) == 1 and target.isascii() and target.isalnum():
                ascii_of[char] = target.lower()
                break
    return frozenset(dots), ascii_of


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
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    borrowed: list[bool] = []
    for i, char in enumerate(text):
        folded, lookalike = _fold(char)
        for c in folded:
            chars.append(c)
            starts.append(i)
            ends.append(i + 1)
            borrowed.append(lookalike)
    view = Reading("".join(chars), tuple(starts), tuple(ends), tuple(borrowed))
    for pattern in (_WRAPPED_DOT, _PERCENT_DOT, _WORD_DOT, _SPACED_DOT):
        view = _replace(view, pattern, lambda m: ".")
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


def key(text: str) -> str:
    """What `text` reads as (the view alone): the form in which the article's items and a post's are compared."""
    return read(text).text

