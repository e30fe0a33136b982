"""Characters a reader cannot see but X keeps: stripped before anything is counted, checked or posted.

Hidden text rides on them: tag characters (U+E0000-E007F) spell out words no one sees, bidi controls
(U+202A-202E, U+2066-2069, U+200E/F, U+061C) reorder what is shown, zero-width characters (U+200B, U+2060-2064,
U+FEFF) split a handle or a host so a filter misses it, private-use characters render as anything, and ANSI
escapes repaint a terminal. What a script or an emoji needs stays: a ZWJ or tag character inside an emoji
sequence (👨‍👩‍👧, 🏴󠁧󠁢󠁥󠁮󠁧󠁿 — a flag of tag characters is kept whole), a ZWJ or ZWNJ between two letters of a script that writes with joiners (Persian
"می‌خواهم", Devanagari, Malayalam), one variation selector after a character, and newlines. This is the one
stripper: `sanitize` (the same, ends stripped) is what counting (bot.tweets.length), shaping and hygiene
(bot.tweets.hygiene) call, so all of them read the same text; one pass is enough (a second changes nothing).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import regex

# ANSI escapes, as a terminal reads them: CSI (ESC [ or U+009B) parameters and a final byte; OSC (ESC ] or U+009D)
# and DCS, SOS, PM, APC strings up to BEL or ST; any other ESC with its intermediate and final bytes. A string
# with no terminator loses only its introducer (the rest may be real text), as the controls are dropped anyway.
_ANSI = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
                   r"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
                   r"|\x1b[ -/]*[0-~]")
_AS_SPACE = str.maketrans({"\t": " ", "\v": " ", "\f": " ", "\x85": "\n", "\u2028": "\n", "\u2029": "\n"})
_ZWNJ, _ZWJ = "\u200c", "\u200d"
# Format characters (Cf) that print: Arabic and Kaithi number signs written before digits.
_VISIBLE_FORMAT = frozenset("\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u0890\u0891\u08e2\U000110bd\U000110cd")
# Blank glyphs used as invisible names or padding: Hangul fillers, the Braille blank, the combining grapheme joiner,
# Khmer's invisible inherent vowels, the musical null notehead.
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5\U0001d159")
_MONGOLIAN_FVS = frozenset("\u180b\u180c\u180d\u180f")  # free variation selectors: only after a Mongolian letter
# Every character an emoji sequence starts with, and U+FE0F and U+20E3 (a keycap starts with "#", "*" or a digit):
# a text without one holds no emoji, and the emoji package's 3 MB table is not loaded for it. A superset of the
# package's own (tests/tweets/test_compact_tables.py checks it), so no emoji is ever missed.
_EMOJI_CHARS = re.compile("[\u00a9\u00ae\u203c\u2049\u20e3\u2122\u2139\u2194-\u2b55\u3030\u303d\u3297\u3299\ufe0f"
                          "\U0001f004-\U0001faff]")


@lru_cache(maxsize=1)
def _scripts() -> tuple[regex.Pattern[str], regex.Pattern[str], regex.Pattern[str]]:
    """(joining scripts, pictographic, Mongolian): compiled when a joiner or a Mongolian selector is first met."""
    import regex

    # Scripts whose spelling uses ZWNJ/ZWJ between letters (Unicode's joining and Indic shaping scripts).
    joining = regex.compile(r"[\p{scx=Arab}\p{scx=Syrc}\p{scx=Nkoo}\p{scx=Mong}\p{scx=Thaa}\p{scx=Deva}\p{scx=Beng}"
                            r"\p{scx=Guru}\p{scx=Gujr}\p{scx=Orya}\p{scx=Taml}\p{scx=Telu}\p{scx=Knda}\p{scx=Mlym}"
                            r"\p{scx=Sinh}\p{scx=Mymr}\p{scx=Khmr}\p{scx=Tibt}\p{scx=Hebr}]")
    pictographic = regex.compile(r"[\p{Extended_Pictographic}\U0001F3FB-\U0001F3FF\uFE0F\u20E3]")
    return joining, pictographic, regex.compile(r"\p{scx=Mong}")


def _variation_selector(char: str) -> bool:
    return "\ufe00" <= char <= "\ufe0f" or "\U000e0100" <= char <= "\U000e01ef"


def _noncharacter(code: int) -> bool:
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def _hidden(char: str) -> bool:
    """True for a character stripped wherever it stands (outside an emoji sequence)."""
    category = unicodedata.category(char)
    if category == "Cc":
        return char != "\n"
    if category == "Cf":
        return char not in _VISIBLE_FORMAT
    code = ord(char)
    return (category in ("Co", "Cs") or char in _FILLERS or _noncharacter(code)
            or 0xE0000 <= code <= 0xE007F)  # the whole Tags block, its unassigned U+E0000 too


def _joiner_kept(text: str, i: int, kept: list[str]) -> bool:
    before = kept[-1][-1] if kept else ""
    after = text[i + 1] if i + 1 < len(text) else ""
    if not before or not after:
        return False
    joining, pictographic, _ = _scripts()
    letters = all(unicodedata.category(c)[0] in "LM" and joining.match(c) for c in (before, after))
    if letters:
        return True
    return text[i] == _ZWJ and bool(pictographic.match(before)) and bool(pictographic.match(after))


def strip_invisible(text: str) -> str:
    """`text` without ANSI escapes, controls (tabs become spaces; \\r\\n, \\r, U+0085/2028/2029 newlines) and
    invisible characters, keeping emoji sequences and the joiners a script needs; NFC before and after."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _ANSI.sub("", text).translate(_AS_SPACE)
    # First what is hidden wherever it stands, so that a joiner is then judged by its visible neighbours.
    text = _walk(text, contextual=False)
    return unicodedata.normalize("NFC", _walk(text, contextual=True))


def sanitize(text: str) -> str:
    """NFC text without invisible or control characters (strip_invisible), \\r\\n as \\n, ends stripped."""
    return strip_invisible(text).strip()


def emoji_list(text: str) -> list[tuple[int, int, str]]:
    """(start, end, emoji) of each emoji sequence the emoji package finds in `text` (its `emoji_list`); the
    package's table is loaded only for a text that may hold one."""
    if not _EMOJI_CHARS.search(text):
        return []
    import emoji

    return [(d["match_start"], d["match_end"], d["emoji"]) for d in emoji.emoji_list(text)]


# The printable characters _walk still judges (fillers, Mongolian and other variation selectors). A text of
# printable characters (str.isprintable: no control, format, private-use, surrogate or unassigned one) and newlines,
# none of them these, comes out of _walk as it went in: the common case skips the walk.
_JUDGED = re.compile("[" + re.escape("".join(sorted(_FILLERS | _MONGOLIAN_FVS)))
                     + "\ufe00-\ufe0f\U000e0100-\U000e01ef]")


def _walk(text: str, contextual: bool) -> str:
    """One pass: emoji sequences kept whole; joiners and variation selectors judged (or, first, left for later)."""
    if text.replace("\n", "").isprintable() and not _JUDGED.search(text):
        return text
    spans = {start: end for start, end, _ in emoji_list(text)}
    kept: list[str] = []
    i = 0
    while i < len(text):
        end = spans.get(i)
        if end is not None:  # a whole emoji sequence (its ZWJ, variation selector or tag characters included)
            kept.append(text[i:end])
            i = end
            continue
        char = text[i]
        if char in _MONGOLIAN_FVS:
            if not contextual or (kept and _scripts()[2].match(kept[-1][-1])):
                kept.append(char)
        elif char in (_ZWNJ, _ZWJ) or _variation_selector(char):
            if not contextual or _context_kept(text, i, kept):
                kept.append(char)
        elif not _hidden(char):
            kept.append(char)
        i += 1
    return "".join(kept)


def _context_kept(text: str, i: int, kept: list[str]) -> bool:
    char, before = text[i], kept[-1][-1] if kept else ""
    if _variation_selector(char):
        return bool(before) and not before.isspace() and not _variation_selector(before)
    return _joiner_kept(text, i, kept)
