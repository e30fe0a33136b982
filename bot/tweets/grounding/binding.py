"""A figure keeps its neighbours and its unit: the rule that makes a swap or a changed unit a claim the article lacks.

Two figures of one kind in one passage ("opens at 9am on weekdays and 11am on Sundays", "voted 7 to 2", "starts on
March 3 and ends by June 30") can be swapped with every number, name and word still the article's. What changed is
which words stand beside which figure. So each figure is read with the words around it, up to the nearest barrier
(punctuation, "and", "or", "but", another figure): the article's own places for that figure give its neighbours,
another figure of the same kind gives its rival's. A sentence that puts beside a figure words that mark a rival, and
none that mark any of the figure's own places, has moved it ("opens at 11am on weekdays": "opens" and "weekdays"
mark 9am, nothing marks 11am). Words both share decide nothing, and a figure whose places have no words of their own
is not judged: reordering a sentence ("On Sundays it opens at 11am; on weekdays at 9am") keeps every figure beside
a word of its own and passes.

A unit is a neighbour that may not change at all: "12 km" is not "12 miles", "18 months" not "18 years", "40
percent" not "40 days". Units are a closed class of words (measures of length, mass, volume, time, speed, data,
energy, temperature, points); a figure the sentence gives one of them must have it, or a synonym, in one of the
article's places for it — unless none of those places names a unit at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from bot.tweets.grounding import claims as C

_BARRIER = re.compile(r"[,;:—–()\[\]!?]|\.(?:\s|$)|\b(?:and|or|but|while|whereas|then|nor)\b", re.I)
_WINDOW = 5  # content words on each side of a figure
_MONTH_WORDS = frozenset("""jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july
august september october november december""".split())

# Every spelling of a unit of measure, by the unit it names (a closed class of the language, not a list of attacks).
_UNIT_GROUPS = {
    "km": "km kms kilometre kilometres kilometer kilometers",
    "mile": "mi mile miles",
    "metre": "metre metres meter meters",
    "cm": "cm centimetre centimetres centimeter centimeters",
    "mm": "mm millimetre millimetres millimeter millimeters",
    "foot": "ft foot feet",
    "inch": "inch inches",
    "yard": "yd yds yard yards",
    "kg": "kg kgs kilo kilos kilogram kilograms kilogramme kilogrammes",
    "gram": "gram grams gramme grammes",
    "pound-weight": "lb lbs",
    "ounce": "oz ounce ounces",
    "tonne": "ton tons tonne tonnes",
    "litre": "litre litres liter liters",
    "ml": "ml millilitre millilitres milliliter milliliters",
    "gallon": "gallon gallons gal",
    "second": "second seconds sec secs",
    "minute": "minute minutes min mins",
    "hour": "hour hours hr hrs",
    "day": "day days",
    "week": "week weeks wk wks",
    "month": "month months mo mos",
    "year": "year years yr yrs",
    "decade": "decade decades",
    "century": "century centuries",
    "mph": "mph",
    "kph": "kph kmh",
    "degree": "degree degrees °c °f celsius fahrenheit",
    "point": "point points pt pts",
    "kb": "kb kilobyte kilobytes",
    "mb": "mb megabyte megabytes",
    "gb": "gb gigabyte gigabytes",
    "tb": "tb terabyte terabytes",
    "watt": "w watt watts",
    "kw": "kw kilowatt kilowatts",
    "mw": "mw megawatt megawatts",
    "gw": "gw gigawatt gigawatts",
    "kwh": "kwh",
    "calorie": "calorie calories kcal cal",
    "acre": "acre acres",
    "hectare": "ha hectare hectares",
}
UNITS = {spelling: unit for unit, spellings in _UNIT_GROUPS.items() for spelling in spellings.split()}
_AFTER = re.compile(r"[\s\u00a0-]?(°[cf]|[^\W\d_]+)", re.I)


def _content(text: str, subject: frozenset[str]) -> list[str]:
    """Content words of a stretch of text, in order: no function words, months or the article's own subject."""
    out = []
    for word, _, _ in C.words(text):
        low = word.casefold()
        if low in C.STOP or low in _MONTH_WORDS or len(low) < 3 or C.keys(word) & subject:
            continue
        out.append(low)
    return out


_JOINED = re.compile(r"\s*(?:-|–|—|to|instead of|rather than|versus|vs\.?)\s*", re.I)


def _group(norm: str, m: C.Mention, figures: Sequence[C.Mention]) -> tuple[int, int]:
    """Where the run of figures `m` belongs to starts and ends: "7 to 2", "10-12%" read as one figure."""
    ordered = sorted(figures, key=lambda f: f.start)
    i = next(k for k, f in enumerate(ordered) if f is m)
    first = last = i
    while first > 0 and _JOINED.fullmatch(norm[ordered[first - 1].end:ordered[first].start]):
        first -= 1
    while last + 1 < len(ordered) and _JOINED.fullmatch(norm[ordered[last].end:ordered[last + 1].start]):
        last += 1
    return ordered[first].start, ordered[last].end


def neighbours(norm: str, m: C.Mention, others: Sequence[C.Mention], subject: frozenset[str]) -> frozenset[str]:
    """The content words beside a figure (or the run it belongs to), up to the nearest barrier or other figure.

    Words between two figures with no barrier between them are shared out: the first belongs to the figure before
    it ("4,812 votes"), the rest to the figure after ("to Osei's 3,977")."""
    begin, finish = _group(norm, m, others) if any(o is m for o in others) else (m.start, m.end)
    start = max((o.end for o in others if o.end <= begin), default=0)
    end = min((o.start for o in others if o.start >= finish), default=len(norm))
    left_parts = _BARRIER.split(norm[start:begin])
    right_parts = _BARRIER.split(norm[finish:end])
    left = _content(left_parts[-1], subject)
    right = _content(right_parts[0], subject)
    if start and len(left_parts) == 1:
        left = left[1:]  # its first word is the figure before's
    if end < len(norm) and len(right_parts) == 1:
        right = right[:1]  # only its first word is this figure's
    return frozenset(left[-_WINDOW:] + right[:_WINDOW])


def reversed_pairs(norm: str, passages: Sequence[tuple[str, Sequence[C.Mention]]]) -> list[str]:
    """Pairs of figures ("7 to 2", "27-15") the sentence gives in the opposite order to the article's pair."""
    mine = sorted(C.mentions(norm), key=lambda f: f.start)
    out = []
    for a, b in zip(mine, mine[1:]):
        if not _JOINED.fullmatch(norm[a.end:b.start]) or C.same_number(a, b):
            continue
        pairs = [(x, y) for text, figures in passages
                 for x, y in zip(sorted(figures, key=lambda f: f.start), sorted(figures, key=lambda f: f.start)[1:])
                 if _JOINED.fullmatch(text[x.end:y.start])]
        kept = any(C.same_number(a, x) and C.same_number(b, y) for x, y in pairs)
        if not kept and any(C.same_number(a, y) and C.same_number(b, x) for x, y in pairs):
            out.append(f"{norm[a.start:b.end].strip()} (the article gives these two the other way round)")
    return out


def _forms(words: Iterable[str]) -> set[str]:
    return {k for w in words for k in C.keys(w)}


def _marks(words: Iterable[str], these: Iterable[str]) -> set[str]:
    """The words of `words` that some word of `these` matches in some form."""
    want = _forms(these)
    return {w for w in words if C.keys(w) & want}


def moved(norm: str, passages: Sequence[tuple[str, Sequence[C.Mention]]], subject: frozenset[str]) -> list[str]:
    """The figures of a sentence (already normalised) that stand beside a rival figure's words and none of their own.

    `passages`: each passage's normalised text and its figures, in the article's order. A rival is a figure of the
    same kind in a passage of the figure's own or next to one (a swap inside a sentence or a paragraph); one further
    away is another subject's, judged by the words it stands beside (passages._rebound). One line per moved figure."""
    mine = C.mentions(norm)
    out: list[str] = []
    for m in mine:
        words = neighbours(norm, m, mine, subject)
        placed = [(i, neighbours(text, n, figures, subject)) for i, (text, figures) in enumerate(passages)
                  for n in figures if C.same_number(m, n)]
        near = sorted({j for i, _ in placed for j in (i - 1, i, i + 1) if 0 <= j < len(passages)})
        found = _rival(m, words, [h for _, h in placed], [passages[j] for j in near], subject) \
            if words and placed else None
        if found:
            out.append(f"{m.text.strip()} (the article puts {found[0]} beside {found[1]}, not beside it)")
    return out


def _yearlike(m: C.Mention) -> bool:
    """A bare four-digit whole number a year could be (1800 to 2099, written without separators)."""
    return m.kind == "" and bool(re.fullmatch(r"\s*(?:18|19|20)\d\d\s*", m.text))


def _rival(m: C.Mention, words: frozenset[str], homes: list[frozenset[str]],
           passages: Sequence[tuple[str, Sequence[C.Mention]]], subject: frozenset[str]) -> tuple[str, str] | None:
    """(word, rival figure) when the sentence's words beside `m` mark a rival of its kind and none of m's places."""
    at_home = set().union(*(_marks(words, h) for h in homes))
    for text, figures in passages:
        for rival in figures:
            if rival.kind != m.kind or C.same_number(m, rival) or _yearlike(rival) != _yearlike(m):
                continue  # a year ("since 2011") is no rival of a count ("a crowd of 18,400")
            theirs = neighbours(text, rival, figures, subject)
            own = [h - _marks(h, theirs) for h in homes]  # what marks each of the figure's places and not the rival
            if not any(own):
                continue  # the figure's places have no words of their own: nothing to judge by
            for_rival = _marks(words, theirs) - at_home
            if for_rival and not any(_marks(words, o) for o in own):
                return sorted(for_rival)[0], rival.text.strip()
    return None


def unit_of(norm: str, m: C.Mention) -> str:
    """The unit a figure counts in: its kind (%, a currency, a time of day), else the unit word right after it."""
    if m.kind and m.kind not in ("date",):
        return m.kind
    after = _AFTER.match(norm, m.end)
    return UNITS.get(after.group(1).casefold(), "") if after else ""


def unit_changed(norm: str, passages: Sequence[tuple[str, Sequence[C.Mention]]]) -> list[str]:
    """The figures of a sentence whose unit none of the article's places for that figure gives, where they give one."""
    out = []
    for m in C.mentions(norm):
        unit = unit_of(norm, m)
        if not unit or m.kind == "date":
            continue
        theirs = {unit_of(text, n) for text, figures in passages for n in figures if C.same_number(m, n)}
        if theirs - {""} and unit not in theirs:
            after = _AFTER.match(norm, m.end)
            said = norm[m.start:after.end() if after else m.end]
            out.append(f"{said.strip()} (the article counts {m.text.strip()} in {'/'.join(sorted(theirs - {''}))})")
    return out
