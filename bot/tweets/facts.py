"""Faithfulness, offline and cheap: every number, date, amount, percentage, quoted phrase and capitalised name
a tweet states must occur in the article. Both sides are normalised first ("58%" ~ "58 percent", "Jan 24" ~
"January 24", "$4,000" ~ "4000", "“quote”" ~ '"quote"'), and a sentence that states one the article lacks is
reported, so hygiene can drop it and the thread can be mended from the article.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.core.records import Article

_MONTHS = {"jan": "january", "feb": "february", "mar": "march", "apr": "april", "jun": "june", "jul": "july",
           "aug": "august", "sep": "september", "sept": "september", "oct": "october", "nov": "november",
           "dec": "december"}
_MONTH_NAMES = frozenset(_MONTHS.values()) | {"may"}
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_QUOTED = re.compile(r"[\"“”«»„]([^\"“”«»„\n]{3,200})[\"“”«»„]")
_WORD = re.compile(r"[^\W\d_][\w’'.-]*[^\W_]|[^\W\d_]", re.UNICODE)
# Capitalised words that are not names (sentence-internal capitals in ordinary English prose).
_COMMON = frozenset("""i i'm i’m i've i’ve i'll i’ll i'd i’d a an the and or but of in on at to for with from by as is are was were be
this that these those it its we our you your they their he she his her my me us new more most read thread today
monday tuesday wednesday thursday friday saturday sunday ok okay tl dr ps faq q a x twitter ai""".split())


@dataclass(frozen=True, slots=True)
class Facts:
    """The article's text, normalised once for the checks: lower-case words, numbers, and the text itself."""

    text: str
    words: frozenset[str]
    numbers: frozenset[str]


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = re.sub(r"(\d)\s*%", r"\1 percent", text)
    text = re.sub(r"\bper\s*cent\b", "percent", text)
    text = re.sub(r"\b(jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\b\.?", lambda m: _MONTHS[m.group(1)], text)
    text = re.sub(r"(\d),(\d{3})\b", r"\1\2", text)
    text = re.sub(r"(\d)(?:st|nd|rd|th)\b", r"\1", text)
    return " ".join(text.split())


def facts_of(article: Article) -> Facts:
    """What the article states, ready for `unsupported`."""
    entry = article.entry
    raw = "\n".join([entry.title, entry.subtitle, entry.author, entry.publication, article.text])
    text = _normalise(raw)
    return Facts(text, frozenset(w.strip(".'") for w in _WORD.findall(text)), frozenset(_NUMBER.findall(text)))


def unsupported(sentence: str, facts: Facts) -> list[str]:
    """What `sentence` states that the article does not: numbers, dates, quotes, names (empty: all supported)."""
    missing: list[str] = []
    norm = _normalise(sentence)
    for number in _NUMBER.findall(norm):
        if number not in facts.numbers and re.sub(r"\.0+$", "", number) not in facts.numbers:
            missing.append(number)
    for month in re.findall(r"\b(" + "|".join(sorted(_MONTH_NAMES)) + r")\s+\d{1,2}\b", norm):
        day = re.search(month + r"\s+(\d{1,2})\b", norm)
        if day and not re.search(rf"\b{month}\s+{day.group(1)}\b|\b{day.group(1)}\s+{month}\b", facts.text):
            missing.append(f"{month} {day.group(1)}")
    for quote in _QUOTED.findall(norm):
        phrase = " ".join(re.findall(r"\w+", quote))
        if phrase and phrase not in " ".join(re.findall(r"\w+", facts.text)):
            missing.append(f"“{quote.strip()}”")
    missing += _names(sentence, facts)
    return missing


def _names(sentence: str, facts: Facts) -> list[str]:
    """Capitalised words inside a sentence (not its first word) that the article never uses."""
    missing = []
    starts = {0} | {m.end() for m in re.finditer(r"[.!?:;…]\s+|\n|[(\"“]\s*|[—–-]\s+", sentence)}
    for m in _WORD.finditer(sentence):
        word = m.group(0)
        if not word[0].isupper() or m.start() in starts or sentence[:m.start()].strip(" '\"‘“«(*") == "":
            continue
        if m.start() > 0 and sentence[m.start() - 1] in "#@$":
            continue
        key = _normalise(word).strip(".'")
        if key in _COMMON or key in _MONTH_NAMES or len(key) < 2:
            continue
        if key not in facts.words and key.rstrip("s") not in facts.words and f"{key}s" not in facts.words:
            missing.append(word)
    return missing
