"""X's weighted tweet length (twitter-text v3), validity, invisible-character hygiene, and fitting one tweet to a budget.

The rules, from twitter-text's v3 configuration (scale 100, defaultWeight 200, light ranges weight 100,
maxWeightedTweetLength 280, transformedURLLength 23, emojiParsingEnabled): the text is NFC-normalised;
each code point in 0-4351, 8192-8205, 8208-8223 or 8242-8247 weighs 1, every other code point 2; every
URL twitter-text extracts (bot.tweets.entities, a regex-for-regex port of its extractor) weighs 23; an emoji
sequence weighs 2 as a whole.

Why not the `twitter-text-parser` package (the Python port): it imports `pkg_resources` (gone from
setuptools-less environments such as Python 3.12+ venvs and Heroku builds), its emoji table is Unicode 12
(2019: the phoenix U+1F426 U+200D U+1F525 counts 5 instead of 2), and it rewrites "\\r\\n" to one character
where the reference JS and Java count two code points. The emoji sequences come from the `emoji` package
(current Unicode); twitter-text's own twemoji-parser 11 predates Emoji 12.1, so X (which counts the phoenix 2)
is followed there, not the JS reference. The tests check all of this against twitter-text's published
conformance cases and the official JS package (tests/conformance, tests/oracle).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.errors import BotError
from bot.tweets.entities import url_entities, url_weight_spans
from bot.tweets.invisible import emoji_list
from bot.tweets.invisible import sanitize as sanitize  # re-exported: what is counted is what is cleaned

MAX_WEIGHT = 280
URL_WEIGHT = 23  # transformedURLLength: X wraps every link in a 23-character t.co link
ELLIPSIS = "…"  # U+2026 is outside the light ranges: it weighs 2

# Emoji_Presentation characters that also have a standardized emoji variation sequence (Unicode's
# emoji-variation-sequences.txt): twitter-text counts "⌚\ufe0f" as one emoji, the emoji package lists only "⌚".
_TAKES_FE0F = frozenset("⌚⌛◽◾☔☕♈♉♊♋♌♍♎♏♐♑♒♓♿⚓⚡⚪⚫⚽⚾⛄⛅⛔⛪⛲⛳⛵⛺⛽❗⬛⬜⭐⭕🀄🈚🈯")
_LIGHT = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_INVALID = frozenset("\ufffe\ufeff\uffff")

# Tokens trim() never cuts: @handles, #hashtags and $cashtags (URLs and emoji are found separately).
_TAG = re.compile(r"[@＠#＃$][\w\u200c\u200d]+")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\s+|[。！？]\s*|\n")
_SPACE = re.compile(r"\s+")


def url_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every URL X would wrap in t.co, in `text` as given (call on NFC text to match X)."""
    return [(start, end) for start, end, _ in url_entities(text)]


def urls(text: str) -> list[str]:
    """Every URL in `text` as X finds it (text NFC-normalised first)."""
    text = unicodedata.normalize("NFC", text)
    return [text[s:e] for s, e in url_spans(text)]


def _emoji_spans(text: str) -> list[tuple[int, int]]:
    found = emoji_list(text)
    if not found:
        return []
    import emoji  # loaded by emoji_list

    spans = []
    for start, end, sequence in found:
        if "\u200d" in sequence and emoji.EMOJI_DATA.get(sequence, {}).get("status") != emoji.STATUS["fully_qualified"]:
            # A ZWJ sequence missing its U+FE0F ("👨\u200d❤\u200d👨") is no emoji to twitter-text: each code point
            # counts (8 here, not 2). Counting it so never makes a tweet X refuses. (A bare keycap "1⃣" is one.)
            continue
        # "⚡\ufe0f": the emoji table lists only "⚡" for these emoji shown as emoji by default, but twitter-text's
        # emoji pattern takes the variation selector with them (2 in all, not 2 + 2).
        if end < len(text) and text[end] == "\ufe0f" and text[start:end] in _TAKES_FE0F:
            end += 1
        spans.append((start, end))
    return spans


def _entities(text: str, emoji: bool = True) -> list[tuple[int, int, int]]:
    """Non-overlapping (start, end, weight) of URLs (23) and emoji sequences (2) in NFC text."""
    found = [(s, e, URL_WEIGHT) for s, e in url_weight_spans(text)]
    for s, e in (_emoji_spans(text) if emoji else []):
        if e - s == 1 and _cp_weight(text[s]) == 1:
            continue  # "©" or "®" without U+FE0F is text, not an emoji sequence, for twitter-text: it weighs 1
        if not any(us < e and s < ue for us, ue, _ in found):
            found.append((s, e, 2))
    return sorted(found)


def _cp_weight(char: str) -> int:
    code = ord(char)
    return 1 if any(lo <= code <= hi for lo, hi in _LIGHT) else 2


def _plain_weight(text: str) -> int:
    return sum(_cp_weight(c) for c in text)


def weighted_length(text: str) -> int:
    """The length X counts for `text` (twitter-text v3: NFC, light/heavy code points, URLs 23, emoji 2)."""
    return _weigh(text, emoji=True)


def weighted_length_v2(text: str) -> int:
    """twitter-text's v2 count (2017-2018: emoji sequences weighed code point by code point), for its conformance cases."""
    return _weigh(text, emoji=False)


def _weigh(text: str, emoji: bool) -> int:
    text = unicodedata.normalize("NFC", text)
    total, pos = 0, 0
    for start, end, weight in _entities(text, emoji):
        total += _plain_weight(text[pos:start]) + weight
        pos = end
    return total + _plain_weight(text[pos:])


def _bad_char(char: str) -> bool:
    # Lone surrogates cannot be encoded for the API at all, so they are as invalid as U+FFFE.
    return char in _INVALID or "\ud800" <= char <= "\udfff"


Measure = Callable[[str], int]


def is_valid(text: str, measure: Measure = weighted_length, limit: int = MAX_WEIGHT) -> bool:
    """True when the network accepts `text`: some non-space content, 1..limit long, no U+FFFE/U+FEFF/U+FFFF.

    The default measure and limit are X's (280 weighted); other networks pass their own.
    """
    if not text or not text.strip() or any(_bad_char(c) for c in text):
        return False
    return 1 <= measure(text) <= limit


def _atoms(text: str, measure: Measure = weighted_length) -> list[tuple[int, int, int]]:
    """(start, end, weight) of the pieces trim() may cut between: URLs, emoji, tags, grapheme clusters."""
    import regex

    own = measure is not weighted_length  # another network's count: weigh each piece with it
    plain = measure if own else _plain_weight
    entities = _entities(text)
    protected = [(s, e, measure(text[s:e]) if own else w) for s, e, w in entities]
    for m in _TAG.finditer(text):
        if not any(s < m.end() and m.start() < e for s, e, _ in protected):
            protected.append((m.start(), m.end(), plain(m.group(0))))
    protected.sort()
    atoms: list[tuple[int, int, int]] = []
    pos = 0
    for s, e, w in protected + [(len(text), len(text), 0)]:
        for g in regex.finditer(r"\X", text[pos:s]):
            atoms.append((pos + g.start(), pos + g.end(), plain(g.group(0))))
        if e > s:
            atoms.append((s, e, w))
        pos = e
    return atoms


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F") and (char.isalnum() or unicodedata.category(char) == "Lo")


def _cut_points(text: str, atoms: list[tuple[int, int, int]]) -> tuple[set[int], set[int]]:
    """Sentence ends and word ends (char indexes) where a cut reads naturally."""
    starts = {s for s, _, _ in atoms}
    sentence = {m.start() + len(m.group(0).rstrip()) for m in _SENTENCE_END.finditer(text)} & (starts | {len(text)})
    word = {m.start() for m in _SPACE.finditer(text)} & starts
    for i, (s, _e, _) in enumerate(atoms[1:], 1):
        # CJK and kana are written without spaces: a line may break between any two wide characters.
        if _is_wide(text[s]) or _is_wide(text[atoms[i - 1][0]]):
            word.add(s)
    return sentence, word


def _best(text: str, points: list[int], budget: int, suffix: str, measure: Measure = weighted_length) -> str | None:
    """The longest text[:p] + suffix (p from `points`, descending) that has content and fits `budget`."""
    for p in points:
        candidate = text[:p].rstrip()
        if candidate and _has_content(candidate):
            candidate += suffix
            if measure(candidate) <= budget:
                return candidate
    return None


def _has_content(text: str) -> bool:
    return any(not c.isspace() and not _bad_char(c) for c in text)


def trim(text: str, budget: int, measure: Measure = weighted_length) -> str:
    """`text` cut to at most `budget` (by `measure`): at a sentence end if one is close, else a word end plus "…"."""
    if budget < 2:
        raise ValueError("a tweet budget below 2 cannot hold a single heavy character")
    text = sanitize(text)
    if not text or measure(text) <= budget:
        return text
    atoms = _atoms(text, measure)
    # Estimate where the budget runs out from the atoms' weights, then confirm with the real count.
    limit, total = 0, 0
    for _s, e, w in atoms:
        if total + w > budget:
            break
        total += w
        limit = e
    sentence, word = _cut_points(text, atoms)
    by_word = _best(text, sorted((p for p in word if p <= limit), reverse=True), budget, ELLIPSIS, measure)
    by_sentence = _best(text, sorted((p for p in sentence if p <= limit), reverse=True), budget, "", measure)
    # A sentence end is "reasonably close" when it keeps at least 70% of what a word cut would keep.
    if by_sentence and (not by_word or measure(by_sentence) >= 0.7 * measure(by_word)):
        return by_sentence
    if by_word:
        return by_word
    # One giant word: a hard cut at a grapheme boundary still makes a valid tweet; past that, a code point.
    return _hard_cut(text, budget, measure)


def _hard_cut(text: str, budget: int, measure: Measure = weighted_length) -> str:
    import regex

    plain = _plain_weight if measure is weighted_length else measure
    ends, total = [], 0
    for g in regex.finditer(r"\X", text):
        total += plain(g.group(0))
        if total > budget:
            break
        ends.append(g.end())
    ends.reverse()
    return (_best(text, ends, budget, ELLIPSIS, measure) or _best(text, ends, budget, "", measure)
            or _best(text, list(range(min(len(text), budget), 0, -1)), budget, "", measure) or text[:1])


Rewrite = Callable[[str, int], "str | None"]


def fit(text: str, budget: int = MAX_WEIGHT, rewrite: Rewrite | None = None, attempts: int = 2,
        *, label: str = "tweet", measure: Measure = weighted_length, limit: int = MAX_WEIGHT) -> tuple[str, str]:
    """(text, note): `text` (sanitized) if it fits, else the writer's rewrite to `budget`, else a trim; note says which."""
    budget = min(budget, limit)
    clean = sanitize(text)  # invisible characters never go out, even in a text that fits
    if not clean:
        return "", f"{label} was empty"
    if measure(clean) <= budget:
        return clean, ""
    before = measure(clean)
    for _ in range(attempts if rewrite else 0):
        try:
            candidate = rewrite(clean, budget)  # type: ignore[misc]
        except BotError:  # the writer gave up; trimming still makes a valid tweet
            break
        if isinstance(candidate, str):
            candidate = sanitize(candidate)
            if (is_valid(candidate, measure, limit) and measure(candidate) <= budget
                    and (any(c.isalnum() for c in candidate) or not any(c.isalnum() for c in clean))):
                return candidate, f"{label} rewritten by the model to {measure(candidate)}/{budget}"
    cut = trim(clean, budget, measure)
    return cut, f"{label} trimmed from {before} to {measure(cut)}"


# How a network measures a post: shape.py fits each network's thread with its Counter. Each network's lives in
# its folder (networks/<name>/length.py); this module keeps the pure functions they count with.
@dataclass(frozen=True, slots=True)
class Counter:
    """One network's rule: a post is valid when 1 <= measure(text) <= limit."""

    network: str
    limit: int
    measure: Measure
    url_weight: int = 0  # what one link counts, when the network counts every link alike (X 23); 0: in full
    post: str = ""  # how a message names one post, before its number ("tweet"); "": "<network> post"

    def __call__(self, text: str) -> int:
        return self.measure(text)


def graphemes(text: str) -> int:
    """Extended grapheme clusters in `text` (`regex`'s \\X), the unit networks that count what a reader sees use."""
    import regex

    return len(regex.findall(r"\X", text))

