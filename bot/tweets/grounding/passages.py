"""Grounding: every sentence of a post stands on a passage of the article, and every fact in it is in that passage.

The article is cut into passages (its sentences, title and subtitle first). A sentence is aligned to the passages
that share the most words with it — and to the verbatim quote the model named as its evidence, once that quote is
found in the article — and it is supported when, for one of them, the passage and the sentences next to it state
every number (claims.py reads every written form), every name (any case, any position, inside hashtags)
and every quotation, with its speaker, that the sentence states. Two more rules hold across the whole article: a
number stays with its subject (a word beside "due" in the sentence must not sit beside another date in the
article, and never beside this one), and the sentence says yes where its passage says yes (polarity: "not",
"never", "no longer", "without"; and the direction of a movement: rose/fell).

What an offline check cannot catch: a paraphrase that changes the meaning with words the passage also uses (two
names swapped inside one passage, "before" for "after"), a claim the article makes about something else in the same
words, and sarcasm. The model is asked for each post's evidence so a reviewer sees what each sentence rests on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.core.records import Article
from bot.tweets.grounding import binding, relations
from bot.tweets.grounding import claims as C

_SPLIT = re.compile(r"(?<=[.!?…])[\"'”’)\]»」]*\s+(?=\S)|(?<=[。！？])\s*(?=\S)|\n+")
_CLAUSE_END = re.compile(r"[,;:—–()]|\bwhile\b|\bwhereas\b|\bbut\b", re.I)
_CONTEXT = 5  # words either side of a number that name what it is about
# Words after which a lower-case word that is not ordinary English reads as a name ("sponsored by google").
_INTRODUCES = frozenset("""by from with via at and or like including vs versus said says sponsor sponsors sponsored partner
partners partnered backed funded powered thanks""".split())
_NUMBERING = re.compile(r"^\W{0,3}\(?\d{1,2}\s*/\s*\d{0,2}\)?(?=\s|$)|\s\(?\d{1,2}/\d{1,2}\)?$")
_HASHTAG = re.compile(r"(?<![\w&])[#＃]([\w\u200c\u200d]+)")


@dataclass(frozen=True, slots=True)
class Passage:
    """One sentence of the article, read once: its text, words (all forms), numbers and polarity."""

    text: str
    norm: str
    vocab: frozenset[str]
    content: frozenset[str]
    numbers: tuple[C.Mention, ...]
    flat: str
    negated: bool
    direction: frozenset[str]


@dataclass(frozen=True, slots=True)
class Source:
    """The article as grounding reads it: passages in order, its whole vocabulary, who is speaking where."""

    passages: tuple[Passage, ...]
    vocab: frozenset[str]
    subject: frozenset[str]  # title, subtitle, author, publication: names that may appear anywhere
    english: bool
    flat: str


@dataclass(frozen=True, slots=True)
class Support:
    """How one sentence stands: the passages it rests on, or what the article does not say (empty: supported)."""

    evidence: tuple[str, ...]
    missing: tuple[str, ...]


def split(text: str) -> list[str]:
    """Sentences of a text (Latin and CJK ends, line breaks)."""
    return [s.strip() for s in _SPLIT.split(text) if s and s.strip()]


def _vocab(text: str) -> frozenset[str]:
    out: set[str] = set()
    for word, _, _ in C.words(text):
        out |= C.keys(word)
    for tag in _HASHTAG.findall(text):
        out.add(tag.casefold())
    return frozenset(out)


def _content(text: str) -> frozenset[str]:
    return frozenset(w.casefold() for w, _, _ in C.words(text) if w.casefold() not in C.STOP and len(w) > 1)


def _passage(text: str) -> Passage:
    norm = C.normalise(text)
    return Passage(text, norm, _vocab(norm), _content(norm), tuple(C.mentions(norm)), C.flat(text), C.negated(norm),
                   frozenset(C.direction(norm)))


@lru_cache(maxsize=16)
def source(article: Article) -> Source:
    """The article's passages, cached per article."""
    entry = article.entry
    head = [t for t in (entry.title, entry.subtitle, entry.author, entry.publication) if t.strip()]
    texts = head + [s for block in article.blocks for s in split(block.text)]
    passages = tuple(_passage(t) for t in texts)
    vocab = frozenset().union(*(p.vocab for p in passages)) if passages else frozenset()
    subject = _vocab(C.normalise(" ".join([entry.title, entry.subtitle, entry.author, entry.publication])))
    lower = [w for p in passages for w, _, _ in C.words(p.norm) if w.islower() and w.isascii()]
    english = bool(lower) and sum(C.is_common(w) for w in lower[:400]) >= 0.6 * len(lower[:400])
    return Source(passages, vocab, subject, english, " ".join(p.flat for p in passages))


def _source(article: Article) -> Source:
    try:
        return source(article)
    except TypeError:  # an Article built with unhashable parts is read uncached
        return source.__wrapped__(article)


def _score(content: frozenset[str], numbers: Sequence[C.Mention], p: Passage) -> float:
    shared = len(content & p.content) + 0.5 * len({k for w in content for k in C.keys(w)} & p.vocab)
    shared += 2 * sum(1 for m in numbers if any(C.same_number(m, n) for n in p.numbers))
    return float(shared / (1 + len(p.content)) ** 0.3)


def _located(quote: str, src: Source) -> list[int]:
    """Indexes of the passages a model's evidence quote covers (none when it is not in the article)."""
    want = C.flat(quote)
    if len(want) < 8 or want not in src.flat:
        return []
    return [i for i, p in enumerate(src.passages) if p.flat and (p.flat in want or want in p.flat)]


def _context(norm: str, m: C.Mention) -> set[str]:
    """Content words near a number, within its clause: what the number is about."""
    left = _CLAUSE_END.split(norm[: m.start])[-1]
    right = _CLAUSE_END.split(norm[m.end:])[0]
    before = [w.casefold() for w, _, _ in C.words(left)][-_CONTEXT:]
    after = [w.casefold() for w, _, _ in C.words(right)][:_CONTEXT]
    months = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "january",
              "february", "march", "april", "june", "july", "august", "september", "october", "november", "december"}
    return {w for w in before + after if w not in C.STOP and w not in months and len(w) > 2}


def _rebound(norm: str, m: C.Mention, src: Source, stated: Sequence[C.Mention] = ()) -> str:
    """A word beside the number that the article puts beside another figure of this kind, never in a sentence with
    this one ("" when the number is where the article has it). A name so placed ("Intel" beside 58% when the
    article's 58% is Nvidia's) always counts; an ordinary word does only when no word beside the number is one the
    article puts beside this figure."""
    names = {w.casefold() for w, _, _ in C.words(norm) if w[:1].isupper() and not C.is_common(w)}
    # The article's own subject (a name of its title, subtitle, author, publication) is what all its figures are
    # about: it stands beside one figure in one sentence and beside another in the next, so it moves none.
    mine = {w for w in _context(norm, m) if w not in C.MOVES and not (w in names and C.keys(w) & src.subject)}
    forms = {w: C.keys(w) for w in mine}
    every = set().union(*forms.values()) if forms else set()
    conflicts: list[str] = []
    exonerated = False
    for p in src.passages:
        for n in p.numbers:
            if n.kind != m.kind:
                continue
            near = {k for w in _context(p.norm, n) for k in C.keys(w)}
            if C.same_number(m, n):
                exonerated = exonerated or bool(every & near)
                continue
            if any(C.same_number(o, n) for o in stated if o is not m):
                continue  # the sentence gives that figure too ("saw Riverside win 3–1"): its words are that figure's
            for word in sorted(mine):
                if word not in conflicts and forms[word] & near and not any(
                        forms[word] & q.vocab and any(C.same_number(m, x) for x in q.numbers) for q in src.passages):
                    conflicts.append(word)
    named = [w for w in conflicts if w in names]
    return named[0] if named else ("" if exonerated or not conflicts else conflicts[0])


def _names(norm: str, vocab: frozenset[str], src: Source) -> list[str]:
    """Words that read as names (capitalised and uncommon, in a hashtag, or uncommon in English) the text lacks."""
    missing = []
    spans = [(s, e) for _, s, e in C.quotes(norm)]
    candidates: list[tuple[str, bool]] = []
    previous: dict[str, str] = {}
    last = ""
    for word, start, _ in C.words(norm):
        previous.setdefault(word, last)
        last = word.casefold()
        if any(s <= start < e for s, e in spans) or not all(c.isalpha() and c.isascii() or c in "'’" for c in word):
            continue
        in_tag = start > 0 and norm[start - 1] in "#＃"
        if in_tag:
            candidates += [(part, True) for part in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", word)]
            if word.casefold() in vocab or word.casefold() in src.vocab:
                candidates = [c for c in candidates if c[0] not in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", word)]
            continue
        candidates.append((word, word[:1].isupper()))
    paired = _name_pairs(norm)
    for word, capital in candidates:
        forms = C.keys(word)
        if forms & vocab or forms & src.subject or word.casefold() in C.STOP or C.contraction(word) or \
                word.casefold() in binding.UNITS:  # "220 degrees Celsius" for the article's "220°C": a unit
            continue
        if capital and (not C.is_common(word) or word in paired):
            missing.append(word)
        elif not capital and src.english and previous.get(word, "") in _INTRODUCES and not C.is_common(word) \
                and not forms & src.vocab:
            missing.append(word)  # "sponsored by google": a lower-case name where a name goes
    return missing


def _name_pairs(norm: str) -> set[str]:
    """Capitalised words standing beside another capitalised word inside a sentence ("Mark Lee"): a name, even when
    each word is also an ordinary one; the sentence's first word and words after `:` `—` or a quote mark do not pair."""
    tokens = C.words(norm)
    out: set[str] = set()
    for (a, _, a_end), (b, b_start, _) in zip(tokens, tokens[1:]):
        if not (a[:1].isupper() and b[:1].isupper()) or norm[a_end:b_start].strip():
            continue
        before = norm[: b_start - len(norm[a_end:b_start]) - len(a)].rstrip()
        if before and (before[-1].isalnum() or before.endswith(",")):  # "a" is not where a sentence starts
            out |= {a, b}
    return out


def _quotes(norm: str, window: Sequence[Passage], src: Source, before: Passage | None) -> list[str]:
    """Quotations the window does not hold word for word, or holds in another speaker's mouth."""
    missing = []
    outside = norm
    for _inner, s, e in C.quotes(norm):
        outside = outside[:s] + " " * (e - s) + outside[e:]
    speakers = [w for w, _, _ in C.words(outside) if w[:1].isupper() and not C.is_common(w)
                and not C.keys(w) & src.subject and not C.keys(w) & C.CALENDAR]  # "after Saturday's win": no speaker
    for inner, _, _ in C.quotes(norm):
        want = C.flat(inner)
        home = next((p for p in window if want and want in p.flat), None)
        if home is None:
            missing.append(f"“{inner.strip()}”")
            continue
        said = C.quotes(home.norm)
        rest = home.norm
        for _, s, e in said:
            rest = rest[:s] + " " * (e - s) + rest[e:]
        names_there = {k for w, _, _ in C.words(rest) if w[:1].isupper() and not C.is_common(w) for k in C.keys(w)}
        lacking = [w for w in speakers if not C.keys(w) & names_there]
        if lacking and (names_there or before is None or any(not C.keys(w) & before.vocab for w in lacking)):
            missing.append(f"“{inner.strip()}” said by {' '.join(lacking)}")
    return missing


def _polarity(norm: str, content: frozenset[str], src: Source) -> str:
    """Why the sentence says the opposite of the passage most like it ("" when it does not)."""
    scored = [(len(content & p.content), p) for p in src.passages]
    best = max((s for s, _ in scored), default=0)
    if best < 2:
        return ""
    closest = [p for s, p in scored if s == best]
    mine = C.negated(norm)
    words = {k for w, _, _ in C.words(norm) for k in C.keys(w)}
    strong = best >= 3 and best >= 0.6 * len(content)

    def contradicts(p: Passage) -> bool:
        if mine == p.negated:
            return False
        if mine:  # the tweet negates: what it negates is in the passage, or the two say nearly the same
            return bool(C.negated_scope(norm) & p.vocab) or strong
        return bool(C.negated_scope(p.norm) & words)  # the passage negates something the tweet affirms

    if all(contradicts(p) for p in closest):
        return "negates what the article affirms" if mine else "affirms what the article negates"
    moves = C.direction(norm)
    if moves and all(p.direction and not (moves & p.direction) for p in closest):
        return f"says {'/'.join(sorted(moves))} where the article says {'/'.join(sorted(closest[0].direction))}"
    return ""


def support(sentence: str, article: Article, hints: Sequence[str] = (), *, whole: bool = False) -> Support:
    """How `sentence` stands on the article: the passages it rests on and what none of them states.

    `hints` are the passages the model named (used only where found in the article). `whole` holds a text that is
    not a sentence of the thread (an image prompt, alt text) to the whole article instead of one passage."""
    src = _source(article)
    norm = _NUMBERING.sub("", C.normalise(sentence))
    content = _content(norm)
    numbers = C.mentions(norm)
    if not src.passages:
        return Support((), ())
    missing: list[str] = []
    for m in numbers:
        word = _rebound(norm, m, src, numbers)
        if word:
            missing.append(f"{m.text.strip()} (the article gives {word} another figure)")
    figures = [(p.norm, p.numbers) for p in src.passages]
    missing += binding.moved(norm, figures, src.subject) + binding.reversed_pairs(norm, figures) + \
        binding.unit_changed(norm, figures)
    if not whole:
        reason = _polarity(norm, content, src)
        if reason:
            missing.append(reason)
        missing += relations.clause_polarity(norm, [(p.norm, p.negated, p.vocab) for p in src.passages])
        texts = [p.norm for p in src.passages]
        missing += relations.reversed_relations(norm, texts, relations.proper_names(texts))
    ranked = sorted(range(len(src.passages)), key=lambda i: -_score(content, numbers, src.passages[i]))
    holding = [i for i, p in enumerate(src.passages) if any(C.same_number(m, n) for m in numbers for n in p.numbers)]
    picks = list(dict.fromkeys([i for h in hints for i in _located(h, src)] + ranked[:3] + holding[:3]))
    if whole:
        lacks = _lacks(norm, numbers, list(range(len(src.passages))), src)
        return Support((), tuple(dict.fromkeys(missing + lacks)))
    # One passage (with the sentences next to it); else two, for a tweet that sums up two places of the article.
    tries: list[tuple[int, ...]] = [(i,) for i in picks] + [(i, j) for k, i in enumerate(picks[:5]) for j in picks[k + 1:5]]
    best: tuple[list[str], tuple[int, ...]] | None = None
    for chosen in tries:
        window = sorted({j for i in chosen for j in (i - 1, i, i + 1) if 0 <= j < len(src.passages)})
        lacks = _lacks(norm, numbers, window, src)
        if best is None or len(lacks) < len(best[0]):
            best = (lacks, chosen)
        if not lacks:
            break
    lacks, chosen = best or ([], ())
    return Support(tuple(src.passages[i].text for i in chosen), tuple(dict.fromkeys(missing + lacks)))


def _lacks(norm: str, numbers: Sequence[C.Mention], window: list[int], src: Source) -> list[str]:
    """The numbers, names and quotations of a sentence that the passages at `window` do not state."""
    near = [src.passages[j] for j in window]
    vocab = frozenset().union(*(p.vocab for p in near))
    lacks = [m.text.strip() for m in numbers if not any(C.same_number(m, n) for p in near for n in p.numbers)]
    lacks += _names(norm, vocab, src)
    before = src.passages[window[0] - 1] if window and window[0] > 0 else None
    return lacks + _quotes(norm, near, src, before)


def hashtag_grounded(tag: str, article: Article) -> bool:
    """True when a hashtag's words are the article's (#PennSpark for "Penn Spark", or the article's own tag)."""
    src = _source(article)
    key = tag.lstrip("#＃").casefold()
    if key in src.vocab or key in {t.casefold() for t in article.hashtags}:
        return True
    parts = [p for p in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", tag.lstrip("#＃")) if p]
    return bool(parts) and all(C.keys(p) & src.vocab for p in parts) and \
        C.flat(" ".join(parts)) in src.flat
