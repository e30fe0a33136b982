"""The Writer seam and the offline extractive writer, which needs no model and never invents anything."""

from __future__ import annotations

import re
from collections import Counter
from typing import Protocol

from bot.core.records import Article, Draft, ModelCall, ThreadSpec, WriterInfo
from bot.tweets.length import weighted_length

# Sentence ends for Latin and CJK scripts; a CJK full stop needs no following space.
_SENTENCE = re.compile(r"(?<=[.!?…])\s+(?=\S)|(?<=[。！？])")
_WORD = re.compile(r"\w+", re.UNICODE)
# Room left for the link (23), numbering ("10/10 ") and a separator, so most tweets fit without trimming.
_TARGET = 240
_CJK_STOPS = ("。", "！", "？")
_ENDS = (".", "!", "?", "…", *_CJK_STOPS)
# A masthead, not news: "Penn Spark Newsletter | January 2026", "Issue #12 · March".
_MASTHEAD = re.compile(r"(?i)[|·•]|^\W*(?:the\s+)?[\w\s]{0,40}\b(?:newsletter|digest|roundup|edition|issue|vol\.?|volume|weekly|monthly)\b[\w\s#.,-]{0,30}$")
# What makes a sentence the post's news: something opens, is due, launches, is announced, has a date.
_NEWS = re.compile(r"(?i)\b(?:open(?:s|ed)?|due|deadline|appl(?:y|ications?)|announc\w*|launch\w*|releas\w*|introduc\w*|invit\w*|"
                   r"register|registration|rsvp|tickets?|join|sign up|available|today|tonight|tomorrow|this week|new|now|"
                   r"showcase|event|hiring|recruit\w*|win\w*|raised?|published?|shipp\w*)\b")
_DATE = re.compile(r"(?i)\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b|\b\d{1,2}\s*(?:am|pm)\b|\b20\d\d\b")
# A sentence that leans on the one before it ("This is why…", "They said…") reads as a riddle on its own.
_LEANS_BACK = re.compile(r"^(?:\W*)(?:this|these|that|those|it|its|they|their|them|he|she|his|her|such|so|but|and|also|however|then)\b",
                         re.IGNORECASE)
_FOREIGN = re.compile(r"@\w|https?://|www\.|\w\.(?:com|org|net|io)\b")


class Writer(Protocol):
    """Writes a thread for an article; the model writer and the extractive writer both keep this shape."""

    name: str
    calls: list[ModelCall]  # every model request made so far, in order (rewrites are counted from it)

    def write(self, article: Article, spec: ThreadSpec) -> Draft:
        """A draft thread (tweet texts, image prompt, alt text) for the article."""
        ...

    def rewrite(self, text: str, budget: int, article: Article) -> str | None:
        """The tweet shortened to at most `budget` weighted characters, or None when it cannot."""
        ...

    def revise(self, text: str, problem: str, budget: int, article: Article) -> str | None:
        """The tweet written again without what hygiene removed (`problem`), or None when the writer cannot."""
        ...


def split_sentences(text: str) -> list[str]:
    """The text split into sentences, in order, whitespace-normalised."""
    out = []
    for paragraph in text.split("\n"):
        for part in _SENTENCE.split(paragraph):
            part = " ".join(part.split())
            if part:
                out.append(part)
    return out


def _weight(text: str) -> int:
    return weighted_length(text)


class ExtractiveWriter:
    """A faithful thread built from the article itself: title and subtitle first, then its key sentences."""

    name = "extractive"

    def __init__(self) -> None:
        self.calls: list[ModelCall] = []  # never any: this writer calls no model

    def write(self, article: Article, spec: ThreadSpec) -> Draft:
        """The title with the post's news (or its subtitle), then its key sentences in order, packed into tweets."""
        entry = article.entry
        pool = _pool(article)
        news = _news(pool)
        opener = entry.title.strip()
        subtitle = entry.subtitle.strip()
        for part in (subtitle if subtitle != opener and not _MASTHEAD.search(subtitle) else "", news):
            if part and not _says_no_more(part, opener) and _weight(f"{opener}\n\n{part}") <= _TARGET:
                opener = f"{opener}\n\n{part}" if opener else part
        tweets = [opener or "New post"]
        if spec.tweets > 1:
            rest = [s for s in pool if s != news and not _says_no_more(s, opener)]
            tweets += self._body(rest, spec.tweets - 1)
        publication = entry.publication or "the publication"
        prompt = (f"An editorial illustration for an essay titled “{entry.title}”, calm colours, "
                  f"no text, no letters")
        alt = f"Title card for “{entry.title}” from {publication}."
        return Draft(tuple(tweets), image_prompt=prompt, alt_text=alt, writer=WriterInfo("extractive", "", 0))

    def revise(self, text: str, problem: str, budget: int, article: Article) -> str | None:
        """None: the extractive writer only quotes; hygiene mends or the article supplies a passage instead."""
        return None

    def rewrite(self, text: str, budget: int, article: Article) -> str | None:
        """Drop whole sentences from the end while the tweet is too long; None when one sentence is still too long."""
        parts = split_sentences(text)
        while len(parts) > 1 and _weight(" ".join(parts)) > budget:
            parts.pop()
        shorter = " ".join(parts)
        return shorter if _weight(shorter) <= budget else None

    def _body(self, pool: list[str], count: int) -> list[str]:
        # Whole sentences read well side by side; fragments ("- Sub-second queries", a bold label) run into the
        # next sentence when packed, so they are used only when the article has too few whole ones.
        whole = [s for s in pool if s.rstrip("\"'”’»)").endswith(_ENDS)]
        if len(whole) >= count:
            pool = whole
        # Sentences that lean on the one before, or carry someone else's address, only when nothing else is left.
        plain = [s for s in pool if not _LEANS_BACK.match(s) and not _FOREIGN.search(s)]
        if len(plain) >= count:
            pool = plain
        if not pool:
            return []
        chosen = _key_sentences(pool, budget=count * 2)
        return _pack(chosen, count)


def _repeats(a: str, b: str) -> bool:
    """True when most words of the shorter text are in the other (a repeat, not just the same topic)."""
    x, y = set(_WORD.findall(a.lower())), set(_WORD.findall(b.lower()))
    return bool(x and y) and len(x & y) / min(len(x), len(y)) >= 0.7


def _says_no_more(part: str, than: str) -> bool:
    """True when most of `part`'s words are already in `than` (a subtitle that restates the title)."""
    x, y = set(_WORD.findall(part.lower())), set(_WORD.findall(than.lower()))
    return not x or len(x & y) / len(x) >= 0.7


def _pool(article: Article) -> list[str]:
    """The article's body sentences worth quoting: not a line addressed to a model, no repeats, four words or more."""
    body = [b.text for b in article.blocks if b.kind in ("paragraph", "quote", "list") and not b.to_model]
    out: list[str] = []
    for s in split_sentences("\n".join(body)):
        if len(_WORD.findall(s)) < 4:
            continue
        same = next((i for i, t in enumerate(out) if _repeats(s, t)), None)
        if same is None:
            out.append(s)
        elif len(s) > len(out[same]):  # "Due Jan 24 @ 5pm", then "Applications are due Jan 24th at 5pm EST."
            out[same] = s
    if not out:
        out = [s for s in split_sentences("\n".join(body)) if s.strip()][:8]
    return out


def _news(pool: list[str]) -> str:
    """The sentence near the top that carries the post's news (something opens, is due, on a date), else its
    first plain sentence, or "" when it has none."""
    candidates = [(i, s) for i, s in enumerate(pool[:15])
                  if not _LEANS_BACK.match(s) and not _FOREIGN.search(s) and s.rstrip("\"'”’»)").endswith(_ENDS)
                  and not s.rstrip().endswith(("?", "？")) and _weight(s) <= 200 and not s.isupper()]
    best, best_score = "", 0.0
    for i, s in candidates:
        score = len(_NEWS.findall(s)) + 2 * bool(_DATE.search(s)) - 0.1 * i
        if score > best_score:
            best, best_score = s, score
    if best_score >= 2:
        return best
    return candidates[0][1] if candidates else ""  # no news as such: the post's opening sentence


def _key_sentences(pool: list[str], budget: int) -> list[str]:
    """The `budget` sentences whose words recur most across the article, kept in article order.

    A word-frequency score (the oldest extractive summariser, Luhn 1958) is enough here: it needs no
    model, works in any script that \\w matches, and picks sentences about what the article is about.
    """
    words = [w.lower() for s in pool for w in _WORD.findall(s) if len(w) > 3 or not w.isascii()]
    freq = Counter(words)

    def score(index: int) -> float:
        tokens = [w.lower() for w in _WORD.findall(pool[index])]
        if not tokens:
            return 0.0
        value = sum(freq[t] for t in tokens) / (len(tokens) ** 0.5)
        return float(value) * (1.3 if index < 3 else 1.0)  # openings state the thesis

    ranked = sorted(range(len(pool)), key=score, reverse=True)[:budget]
    return [pool[i] for i in sorted(ranked)]


def _pack(chosen: list[str], count: int) -> list[str]:
    """Group sentences into at most `count` tweets of about _TARGET weighted characters each."""
    per = max(1, -(-len(chosen) // count))
    tweets: list[str] = []
    for i in range(0, len(chosen), per):
        group = chosen[i : i + per]
        text = group[0]
        for s in group[1:]:
            joined = f"{text}{s}" if text.endswith(_CJK_STOPS) else f"{text} {s}"  # CJK needs no space after 。
            if _weight(joined) <= _TARGET:
                text = joined
        tweets.append(text)
    return tweets[:count]
