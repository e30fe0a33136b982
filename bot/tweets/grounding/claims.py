"""What a sentence claims, read offline: its numbers (in every written form), quotes, names and polarity.

Pure functions over text, used by bot.tweets.grounding to hold each sentence to its passage of the article.
Numbers are read as values with a kind: digits in any script (unicodedata.digit), "1,500" / "1.500" / "1 500",
words ("three hundred", "twelve"), ordinals ("fourth", "22nd"), magnitudes ("1.6T", "$2 billion"), currencies
($ € £ ¥ ₹, "euros"), percentages, multipliers ("2x", "tenfold"), times ("7pm" = "7:00 pm" = "19:00"), days of
a month ("Jan 22", "22nd of January") and rates ("per month"). Common English words come from Webster's
Second (the english-words package), so a word that is neither common nor the article's reads as a name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from bot.tweets.grounding.wordlist import listed

_MONTHS = ("january february march april may june july august september october november december "
           "jan feb mar apr jun jul aug sep sept oct nov dec").split()
_MONTH_NAMES = {m[:3]: m for m in _MONTHS[:12]} | {"sept": "september"}
# Days and months: words of a date, never a speaker or a name of the article's to look for.
CALENDAR = frozenset(_MONTHS) | frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
_MONTH = r"(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
          "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
          "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
          "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1000}
_ORDINALS = {"third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
             "eleventh": 11, "twelfth": 12, "twentieth": 20, "hundredth": 100}
_FOLD = {"twofold": 2, "threefold": 3, "fourfold": 4, "fivefold": 5, "tenfold": 10, "hundredfold": 100,
         "doubled": 2, "tripled": 3, "quadrupled": 4}
_NUMBER_WORD = re.compile(r"\b(?:(?:" + "|".join(_UNITS) + r")(?:[\s-]+(?:" + "|".join(_UNITS) + r"))?"
                          r"(?:\s+(?:hundred|thousand)(?:\s+(?:and\s+)?(?:" + "|".join(_UNITS) + r"))?)*)\b", re.I)
_CURRENCY = {"$": "$", "€": "€", "£": "£", "¥": "¥", "₹": "₹", "usd": "$", "eur": "€", "gbp": "£",
             "dollar": "$", "dollars": "$", "euro": "€", "euros": "€", "pound": "£", "pounds": "£"}
_MAGNITUDE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9, "billion": 1e9,
              "t": 1e12, "tn": 1e12, "trillion": 1e12}
_FIGURE = re.compile(  # a figure the text states (not an @mention)
    r"(?P<cur>[$€£¥₹]|\b(?:usd|eur|gbp)\s?)?\s?"
    r"(?P<num>\d{1,3}(?:[,.\u00a0\u202f\u2009 ]\d{3})+(?![\d])(?:[.,]\d+)?|\d+(?:[.,]\d+)?)"
    r"(?:(?P<clock>:\d{2})(?::\d{2})?)?"
    r"(?:\s?(?P<mag>trillion|billion|million|thousand|bn|tn|mn|[kmbt])(?![a-z]))?"
    r"(?:\s?(?P<unit>%|percent\b|per\s?cent\b|x(?![a-z])|×|times\b|fold\b|[ap]\.?\s?m\b\.?|st\b|nd\b|rd\b|th\b|"
    r"dollars?\b|euros?\b|pounds?\b|usd\b|eur\b|gbp\b))?"
    r"(?:\s?(?:per|a|an|/|each)\s?(?P<per>day|week|month|year|hour|night|person)s?\b)?", re.I)
_NEGATIONS = frozenset("""not no never none nobody nothing neither nor without cannot can't won't don't doesn't didn't isn't
aren't wasn't weren't hasn't haven't hadn't shouldn't wouldn't couldn't mustn't needn't nunca nicht kein keine keinen
jamais pas ningún ninguna""".split())
# Function words of a few other languages, left out of what a negation negates.
_SCOPE_STOP = frozenset("""de la el en y que durante por para con un una los las del al se su es lo como más pero sin
longer der die das und zu mit für ist nicht den dem des ein eine le les des et du pour avec est une ne""".split())
# Negations that assert nothing about the article's facts ("Don't miss it", "not only … but").
_IDIOMS = re.compile(r"(?i)\b(?:do(?:n['’]t| not)|never) (?:miss|forget|wait)\b|\bnot only\b|\bno doubt\b|"
                     r"\bno matter\b|\bnot to be missed\b|\bwhy not\b")
_UP = frozenset("rose rise rises rising risen up increased increase increases increasing gained gain gains grew grow grows "
                "growing higher climbed climb jumped jump surged surge soared add adds added adding expand expands "
                "expanded expanding raise raises raised boost boosts boosted".split())
_DOWN = frozenset("fell fall falls falling fallen down decreased decrease decreases decreasing declined decline dropped "
                  "drop drops lost lose loses shrank shrink shrinks lower slid slipped plunged plunge remove removes "
                  "removed removing cut cuts reduce reduces reduced reducing scrap scraps scrapped lowered".split())
MOVES = _UP | _DOWN
STOP = frozenset("""a an the and or but of in on at to for with from by as is are was were be been being it its this that
these those there here we our you your they their he she his her him them i me my us so if then than also just very more
most will would can could should may might must do does did has have had not no into over about after before up out who
what when where which while how all any some each every new now one ones other others another per via vs""".split())
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.U)
_QUOTE_PAIRS = [r'"([^"\n]{3,300}?)"', r"“([^”\n]{3,300}?)”", r"„([^“”\n]{3,300}?)[“”]", r"«\s?([^»\n]{3,300}?)\s?»",
                r"‹([^›\n]{3,300}?)›", r"「([^」\n]{1,300}?)」", r"『([^』\n]{1,300}?)』",
                r"(?<![\w'’])‘([^’\n]{3,300}?)’(?![\w])", r"(?<![\w'’])'([^\n]{3,300}?)'(?![\w])"]
_QUOTED = re.compile("|".join(_QUOTE_PAIRS))
MODERN = frozenset("""app apps email emails online website websites startup startups blog blogs podcast podcasts newsletter
newsletters internet smartphone smartphones laptop laptops software hardware livestream video videos chatbot
chatbots ai ok okay covid wifi selfie emoji online offline webinar webinars hackathon hackathons fintech
crowdfunding dataset datasets workflow workflows onboarding cybersecurity deadline deadlines signup signups
substack inbox inboxes username homepage login logout dashboard toolkit playlist screenshot ebook ebooks livestreams""".split())


@dataclass(frozen=True, slots=True)
class Mention:
    """One number a text states: its possible values (1.500 may be 1500 or 1.5), what kind it is, where it is."""

    values: frozenset[float]
    kind: str  # "", "%", "x", "time", "date", a currency sign
    per: str  # "month" for "$1,500 per month", else ""
    start: int
    end: int
    text: str


def ascii_digits(text: str) -> str:
    """Digits of every script as ASCII (unicodedata.digit), Arabic separators as Latin ones."""
    out = []
    for c in text:
        if c.isdigit() and not c.isascii() and unicodedata.category(c) == "Nd":
            out.append(str(unicodedata.digit(c)))
        else:
            out.append({"\u066b": ".", "\u066c": ",", "\u060c": ","}.get(c, c))
    return "".join(out)


def _words_value(words: str) -> int:
    total, current = 0, 0
    for w in re.split(r"[\s-]+", words.lower()):
        if w in _UNITS:
            current += _UNITS[w]
        elif w == "hundred":
            current = max(current, 1) * 100
        elif w == "thousand":
            total += max(current, 1) * 1000
            current = 0
    return total + current


def _spell_out(text: str) -> str:
    """Number words as digits ("three hundred" → "300"); "one" alone stays a word (it rarely counts)."""
    def repl(m: re.Match[str]) -> str:
        words = m.group(0)
        return words if words.lower() == "one" else str(_words_value(words))

    text = _NUMBER_WORD.sub(repl, text)
    text = re.sub(r"(?i)(?<![\d\s])(\s*)\b(?:a\s+)?(hundred|thousand|million)\b|^(?:a\s+)?(hundred|thousand|million)\b",
                  lambda m: (m.group(1) or "") + {"hundred": "100", "thousand": "1000", "million": "1000000"}[
                      (m.group(2) or m.group(3)).lower()], text)
    text = re.sub(r"\b(" + "|".join(_ORDINALS) + r")\b", lambda m: f"{_ORDINALS[m.group(1).lower()]}th", text, flags=re.I)
    return re.sub(r"\b(" + "|".join(_FOLD) + r")\b", lambda m: f"{_FOLD[m.group(1).lower()]}x", text, flags=re.I)


def normalise(text: str) -> str:
    """The text as claims are read from it: compatibility-folded, ASCII digits, number words as digits."""
    text = unicodedata.normalize("NFKC", text)
    return _spell_out(ascii_digits(text))


def _values(num: str) -> set[float]:
    digits = re.sub(r"[\u00a0\u202f\u2009 ]", "", num)
    grouped = re.fullmatch(r"\d{1,3}(?:[,.]\d{3})+", digits)
    out: set[float] = set()
    if grouped:
        out.add(float(re.sub(r"[,.]", "", digits)))
        if digits.count(",") + digits.count(".") == 1:
            out.add(float(digits.replace(",", ".")))  # "1.500" may be one and a half
        return out
    if re.fullmatch(r"\d{1,3}(?:[,.]\d{3})+[.,]\d+", digits):
        head, tail = digits[:-len(re.split(r"[.,]", digits)[-1]) - 1], re.split(r"[.,]", digits)[-1]
        return {float(re.sub(r"[,.]", "", head) + "." + tail)}
    try:
        return {float(digits.replace(",", "."))}
    except ValueError:  # mixed separators ("1,500 221.6"): each piece is a number of its own
        return {float(x.replace(",", ".")) for x in re.findall(r"\d+(?:[.,]\d+)?", digits)}


def mentions(text: str) -> list[Mention]:
    """Every number `text` (already `normalise`d) states, with its kind; ranges share their end's kind."""
    found: list[Mention] = []
    for m in _FIGURE.finditer(text):
        num, unit = m.group("num"), (m.group("unit") or "").lower().replace(" ", "").replace(".", "")
        values = _values(num)
        kind = _CURRENCY.get((m.group("cur") or "").strip().lower(), "")
        mag = (m.group("mag") or "").lower()
        if mag in ("m", "t") and unit == "" and re.match(r"\s", text[m.end("num"):m.end("num") + 1] or "x"):
            mag = ""  # "5 m" is as likely metres, "4 t" tonnes: only "5m" glued or "5 million" is a magnitude
        if mag:
            values = {v * _MAGNITUDE[mag] for v in values}
        if unit in ("%", "percent", "percent"):
            kind = "%"
        elif unit in ("x", "×", "times", "fold"):
            kind = "x"
        elif unit in ("am", "pm") or m.group("clock"):
            hour = min(values)
            hour = hour % 12 + (12 if unit == "pm" else 0) if unit in ("am", "pm") else hour
            minutes = int(m.group("clock")[1:]) if m.group("clock") else 0
            values, kind = {hour + minutes / 60}, "time"
        elif unit in _CURRENCY:
            kind = _CURRENCY[unit]
        before, after = text[max(0, m.start() - 12):m.start()], text[m.end():m.end() + 14]
        if kind == "" and (re.search(_MONTH + r"\s*$", before, re.I) or re.match(r"\.?\s*(?:of\s+)?" + _MONTH + r"\b",
                                                                                   after, re.I)):
            kind = "date"
        found.append(Mention(frozenset(values), kind, (m.group("per") or "").lower(), m.start(), m.end(), m.group(0)))
    for a, b in zip(found, found[1:]):  # "10 to 12 percent", "$10-12": both ends are the same kind of thing
        if re.fullmatch(r"\s*(?:-|–|—|to|and|or)\s*", text[a.end:b.start]):
            if a.kind == "" and b.kind:
                found[found.index(a)] = Mention(a.values, b.kind, b.per or a.per, a.start, a.end, a.text)
            elif b.kind == "" and a.kind:
                found[found.index(b)] = Mention(b.values, a.kind, a.per or b.per, b.start, b.end, b.text)
    return found


def same_number(a: Mention, b: Mention) -> bool:
    """True when `a` (the tweet's) states what `b` (the article's) states: a shared value, a compatible kind."""
    if not any(abs(x - y) <= 1e-9 * max(1.0, abs(y)) for x in a.values for y in b.values):
        return False
    if a.per and a.per != b.per:
        return False
    # A bare number may leave its kind to the context ("58 percent, big ones at 31"); a stated kind must agree.
    return a.kind == b.kind or a.kind == "" or {a.kind, b.kind} == {"", "date"}


def words(text: str) -> list[tuple[str, int, int]]:
    """(word, start, end) for every word of `text`."""
    return [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(text)]


def keys(word: str) -> set[str]:
    """A word's forms for matching: case-folded, possessive off, and a few English endings stripped."""
    return set(_keys(word))


@lru_cache(maxsize=8192)
def _keys(word: str) -> frozenset[str]:
    """keys(), remembered: grounding asks for the same words' forms thousands of times per thread."""
    w = word.casefold().replace("’", "'")
    w = re.sub(r"'s$|'$", "", w)
    w = _MONTH_NAMES.get(w.rstrip("."), w)
    out = {w}
    for end, add in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("d", ""), ("ing", ""), ("ing", "e"),
                     ("er", ""), ("ers", "")):
        if w.endswith(end) and len(w) - len(end) >= 3:
            out.add(w[: len(w) - len(end)] + add)
    return frozenset(out)


def contraction(word: str) -> bool:
    """True for "doesn't", "we're", "I'm", "you'll": grammar, never a name."""
    return bool(re.search(r"(?i)n['’]t$", word)) or \
        bool(re.search(r"(?i)['’](?:m|re|ll|ve|d|s)$", word)) and not word[:1].isupper() or \
        bool(re.fullmatch(r"(?i)(?:i|it|we|you|they|he|she|that|there|what|let)['’](?:m|re|ll|ve|d|s)", word))


def quotes(text: str) -> list[tuple[str, int, int]]:
    """(quoted words, start, end) for every quotation in any quote style."""
    out = []
    for m in _QUOTED.finditer(text):
        inner = next(g for g in m.groups() if g is not None)
        if len(re.findall(r"\w+", inner)) >= 2 or re.search(r"[^\x00-\u2fff]", inner):
            out.append((inner, m.start(), m.end()))
    return out


def flat(text: str) -> str:
    """Words only, case-folded, one space apart: how quotations are compared."""
    return " ".join(re.findall(r"\w+", normalise(text).casefold()))


def negated(text: str) -> bool:
    """True when the sentence negates ("not", "n't", "never", "no longer", "without", ...)."""
    text = _IDIOMS.sub(" ", text)
    tokens = {w.casefold().replace("’", "'") for w, _, _ in words(text)}
    return bool(tokens & _NEGATIONS) or bool(re.search(r"n['’]t\b", text, re.I))


def negated_scope(text: str) -> set[str]:
    """The forms of the (up to three) content words after each negation: what the sentence says is not so."""
    text = _IDIOMS.sub(" ", text)
    tokens = [w for w, _, _ in words(text)]
    out: set[str] = set()
    for i, w in enumerate(tokens):
        lw = w.casefold().replace("’", "'")
        if lw in _NEGATIONS or lw.endswith("n't"):
            after = [t for t in tokens[i + 1: i + 6] if t.casefold() not in STOP and t.casefold() not in _SCOPE_STOP
                     and t.casefold() not in _NEGATIONS][:3]
            out |= {k for t in after for k in keys(t)}
    return out


def direction(text: str) -> set[str]:
    """"up" and/or "down" for the movement words a sentence uses (rose, fell, gained, dropped...)."""
    tokens = {w.casefold() for w, _, _ in words(text)}
    return ({"up"} if tokens & _UP else set()) | ({"down"} if tokens & _DOWN else set())


@lru_cache(maxsize=8192)
def is_common(word: str) -> bool:
    """True when some form of `word` is an ordinary English word."""
    return any(k in MODERN or listed(k) for k in keys(word))
