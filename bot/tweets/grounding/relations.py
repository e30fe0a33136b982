"""A relation keeps its direction, and each clause of a sentence its passage's polarity.

Two names and the word that relates them ("Wales beat Scotland", "Maria Lopez interviewed David Kim") can be
swapped with every word still the article's; what changed is the order. A sentence that puts two of the article's
names around a word of the article in the opposite order to every passage that relates them — and in no passage in
its own order — has reversed the relation. A passive ("Kim was interviewed by Lopez") turns the order round
legitimately and is not judged; other words for the relation ("Scotland lost to Wales") are not the article's
relation word and pass.

A sentence of two clauses ("stays fell by 18 percent and also reduced mortality") is held clause by clause: a
clause that says yes where its own closest passage says no ("It did not reduce mortality") is a claim the article
denies, even when the sentence as a whole is closest to another passage that it agrees with.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.tweets.grounding import claims as C

_CLAUSES = re.compile(r"[;—–]|,\s*(?:and|but|while|whereas|yet)\b|\b(?:and also|but also|but|while|whereas|and)\b",
                      re.I)
_PASSIVE = re.compile(r"(?i)\b(?:was|were|is|are|been|being|be|got|gets|get)\b.*\bby\b")
_SPAN = 4  # at most this many words between two names that one word relates


def _content(text: str) -> list[str]:
    return [w for w, _, _ in C.words(text) if w.casefold() not in C.STOP and len(w) > 1]


def _forms(words: Sequence[str]) -> set[str]:
    return {k for w in words for k in C.keys(w)}


def proper_names(passages: Sequence[str]) -> frozenset[str]:
    """Forms of the article's names: words it capitalises inside a sentence, or at its start but never writes in
    lower case ("Wales beat Scotland": Wales, though "wales" is also an English word)."""
    lower = {w for text in passages for w, _, _ in C.words(text) if w.islower()}
    out: set[str] = set()
    for text in passages:
        for i, (word, _, _) in enumerate(C.words(text)):
            if word[:1].isupper() and word.casefold() not in C.STOP and (i or word.casefold() not in lower):
                out |= C.keys(word)
    return frozenset(out)


def _order(text: str, a: set[str], word: set[str], b: set[str]) -> bool:
    """True when `text` has a form of `a`, then (within a few words) a form of `word`, then a form of `b`, not in
    the passive ("Penn Spark was founded ... by Ana Ruiz" relates them the other way round)."""
    found = C.words(text)
    tokens = [C.keys(w) for w, _, _ in found]
    for i, t in enumerate(tokens):
        if not t & a:
            continue
        for j in range(i + 1, min(len(tokens), i + 1 + _SPAN + 1)):
            if not tokens[j] & word:
                continue
            for k in range(j + 1, min(len(tokens), j + 1 + _SPAN + 1)):
                if tokens[k] & b and not _PASSIVE.search(text[found[i][2]:found[k][1]]):
                    return True
    return False


def reversed_relations(norm: str, passages: Sequence[str], names: frozenset[str]) -> list[str]:
    """Pairs of the article's names the sentence relates in the opposite order to the article's own sentences."""
    tokens = C.words(norm)
    spots = [(w, s, e) for w, s, e in tokens if w[:1].isupper() and C.keys(w) & names]
    out: list[str] = []
    for i, (a, _, a_end) in enumerate(spots):
        for b, b_start, _ in spots[i + 1:]:
            between = norm[a_end:b_start]
            words = [w for w in _content(between) if not (w[:1].isupper() and C.keys(w) & names)]
            if not words or len(C.words(between)) > _SPAN or _PASSIVE.search(between):
                continue
            fa, fb, fw = C.keys(a), C.keys(b), _forms(words)
            if any(_order(p, fb, fw, fa) for p in passages) and not any(_order(p, fa, fw, fb) for p in passages):
                out.append(f"{a} {' '.join(words)} {b} (the article has it the other way round)")
                return out
    return out


def clause_polarity(norm: str, passages: Sequence[tuple[str, bool, frozenset[str]]]) -> list[str]:
    """Clauses of a sentence that negate what their closest passage affirms, or affirm what it negates.

    `passages`: each passage's normalised text, whether it negates, and the forms of its content words (each
    passage is split into its clauses here, and a clause is held to the closest of those)."""
    clauses = [c for c in _CLAUSES.split(norm) if c and c.strip()]
    if len(clauses) < 2:
        return []  # a one-clause sentence is held whole (passages._polarity)
    # The passages are read clause by clause too: "They do not remember X; they remember Y" affirms Y.
    parts = [(c, C.negated(c), frozenset(_forms(_content(c)))) for text, _, _ in passages
             for c in _CLAUSES.split(text) if c and c.strip()]
    out = []
    for clause in clauses:
        words = _content(clause)
        if len(words) < 2:
            continue
        scored = [(sum(1 for w in words if C.keys(w) & forms), text, neg) for text, neg, forms in parts]
        best = max((s for s, _, _ in scored), default=0)
        if best < 2 or best < 0.6 * len(words):
            continue
        mine = C.negated(clause)
        closest = [(text, neg) for s, text, neg in scored if s == best]

        if all(_contradicts(clause, mine, words, t, n) for t, n in closest):
            said = "negates what the article affirms" if mine else "affirms what the article negates"
            out.append(f"“{clause.strip()}” {said}")
    return out


def _contradicts(clause: str, mine: bool, words: Sequence[str], text: str, neg: bool) -> bool:
    """True when `clause` (negated when `mine`) says the opposite of an article's clause `text` (negated: `neg`)."""
    if mine == neg:
        return False
    if mine:
        return bool(C.negated_scope(clause) & _forms(_content(text)))
    return bool(C.negated_scope(text) & _forms(words))
