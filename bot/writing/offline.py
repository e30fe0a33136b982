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


def sentences(text: str) -> list[str]:
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
        """Title and subtitle, then the highest-scoring sentences in article order, packed into tweets."""
        entry = article.entry
        opener = entry.title.strip()
        if entry.subtitle.strip() and entry.subtitle.strip() != opener:
            opener = f"{opener}\n\n{entry.subtitle.strip()}"
        tweets = [opener or "New post"]
        if spec.tweets > 1:
            tweets += self._body(article, spec.tweets - 1, exclude=opener)
        publication = entry.publication or "the publication"
        prompt = (f"An editorial illustration for an essay titled “{entry.title}”, calm colours, "
                  f"no text, no letters")
        alt = f"Title card for “{entry.title}” from {publication}."
        return Draft(tuple(tweets), image_prompt=prompt, alt_text=alt, writer=WriterInfo("extractive", "", 0))

    def rewrite(self, text: str, budget: int, article: Article) -> str | None:
        """Drop whole sentences from the end while the tweet is too long; None when one sentence is still too long."""
        parts = sentences(text)
        while len(parts) > 1 and _weight(" ".join(parts)) > budget:
            parts.pop()
        shorter = " ".join(parts)
        return shorter if _weight(shorter) <= budget else None

    def _body(self, article: Article, count: int, exclude: str) -> list[str]:
        body = [b.text for b in article.blocks if b.kind in ("paragraph", "quote", "list")]
        pool = [s for s in sentences("\n".join(body)) if s not in exclude and len(_WORD.findall(s)) >= 4]
        # Whole sentences read well side by side; fragments ("- Sub-second queries", a bold label) run into the
        # next sentence when packed, so they are used only when the article has too few whole ones.
        whole = [s for s in pool if s.rstrip("\"'”’»)").endswith(_ENDS)]
        if len(whole) >= count:
            pool = whole
        if not pool:
            pool = [s for s in sentences("\n".join(body)) if s not in exclude]
        if not pool:
            return []
        chosen = _key_sentences(pool, budget=count * 2)
        return _pack(chosen, count)


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
