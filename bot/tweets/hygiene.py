"""Output hygiene: a model's tweet reduced to whole sentences the article supports (it goes out under the user's name).

What comes off: markdown, numbering and preambles (scaffolding), model meta-text (bot.tweets.meta), invisible
characters, and every address, @handle or $cashtag the article does not own (bot.tweets.items). What the
article owns is structural, never guessed from its wording: its own address, the anchors a reader can see and
click in it, its visible X handles, the cashtags its text contains (bot.feed.article decides what is visible).

A removal never leaves a hole: the parenthesis, the leading "RT @x:", the trailing "cc @x", or the clause that
carried the item goes with it; when what is left is not a whole sentence, the sentence goes. A sentence stating
a number, date, quote or name the article lacks goes too (bot.tweets.facts). `Cleaned.reasons` says what went.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.core.records import Article
from bot.tweets.facts import Facts, facts_of, unsupported
from bot.tweets.invisible import sanitize, strip_invisible
from bot.tweets.items import Item, compare_key, defanged, find, normalize_url, permitted
from bot.tweets.length import url_spans
from bot.tweets.meta import is_meta, unwrap

__all__ = ["Cleaned", "across", "clean", "clean_thread", "clean_tweet", "clean_alt", "drop_urls", "foreign", "normalize_space",
           "normalize_url", "strip_invisible"]

# Scaffolding a model writes before or around a tweet; each pattern is tried at the start, repeatedly.
_KEYCAP = r"(?:[0-9#*]\ufe0f?\u20e3|\U0001f51f)"
_LEADERS = [
    re.compile(r"^#{1,6}\s+"),  # markdown heading marks ("### Tweet 1:"); a #hashtag has no space
    re.compile(r"^(?:sure|okay|ok|certainly|absolutely|of course)[!.,]?\s*(?=here\b)", re.I),
    re.compile(r"^(?:sure|okay|ok|certainly|absolutely|of course)[!.,]\s+", re.I),
    re.compile(r"^here(?:'s|’s| is| are| you go)\b[^\n:—–]{0,80}[:—–]\s*", re.I),
    re.compile(r"^(?:twitter\s+|x\s+)?thread\b[^\n:]{0,20}:\s*", re.I),
    re.compile(r"^[*_]{0,2}\s*\[?(?:tweet|post)\s*#?\s*\d+(?:\s*(?:/|of)\s*\d+)?\]?\s*[*_]{0,2}\s*[:.)\-–—]?\s*[*_]{0,2}\s*", re.I),
    re.compile(r"^🧵\s*(?=[(\[]?\d{1,2}\s*/)"),  # "🧵 1/": the thread sign goes with the numbering after it
    re.compile(r"^[(\[]?\d{1,2}\s*/\s*\d{0,2}[)\]]?(?=\s|:)\s*:?\s*"),  # "1/3 ", "(1/3) ", "1/ ", "1/3:"
    re.compile(r"^\d{1,2}[.)](?=\s)\s*"),  # "1. ", "1) "
    re.compile(rf"^{_KEYCAP}+[:.\-–—]?\s*"),  # "1️⃣ "
    re.compile(r"^[-•·]\s+"),  # a list bullet
]
_TRAILING_NUMBER = re.compile(r"\s*[(\[]?\d{1,2}\s*/\s*\d{1,2}[)\]]?\s*$")
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__", re.S)
_ITALIC = re.compile(r"(?<![\w*])[*_](?=\S)([^*_\n]+?)(?<=\S)[*_](?![\w*])")
_CODE = re.compile(r"`{1,3}([^`]*)`{1,3}")
_MD_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\s]*\)")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_HEADING_LINE = re.compile(r"^#{1,6}\s+", re.M)
_QUOTES = {'"': '"', "“": "”", "'": "'", "‘": "’", "«": "»", "「": "」", "『": "』"}
# Words that only pointed at a link ("Read more: https://..."): they go with the link.
_LEAD_IN = re.compile(r"(?:\b(?:read(?: more| it| this| here| the (?:full )?(?:post|article|piece|story))?|check it out|link|full (?:post|article|story)"
                      r"|more here|details)\s*)?[:\-–—→👉👇]*\s*$", re.I)
_ARROWS = re.compile(r"[→👉👇]\s*$")
_DANGLING = re.compile(r"\s*(?:[:\-–—→]|👉|⬇️?|👇)+\s*$")
_SENTENCE = re.compile(r"(?<=[.!?…])[\"'”’)\]»]*\s+(?=\S)|(?<=[^\x00-\x7f][。！？])\s*(?=\S)")
_HOLE = "\x00"  # where a foreign handle was
_GAP = "\x01"  # where any other foreign item was
_ANY = f"[{_HOLE}{_GAP}]"
# Words a sentence cannot end on: what pointed at the removed item is still waiting for it.
_OPEN_END = frozenset("""to at per by via from with for on in of and or the a an cc ping ht h/t thanks credit follow visit see
here like including is are was were be this that its their our your my his her into onto about over under than as
join check dm email contact reach rt said says writes wrote reports according ask tag""".split())
# Only an attribution at a sentence's end ("… cc @x", "via @x", "h/t @x") goes with its handle and leaves a whole
# sentence; any other word that pointed at a removed item ("Log in at", "Admin panel:", "DM", "See") takes it whole.
_TRAILER = re.compile(
    r"[\s,;:—–-]*(?:(?:/?\b(?:cc|via|h/t|ht|hat tip(?: to)?|thanks(?: to)?|credit(?: to)?)\s*[:\-]?\s*)|[^\w\s.,;:!?'\"’”()]{1,4}\s*)*"
    rf"(?:{_HOLE}[\s,&]*(?:and\s+|or\s+)?)+\s*(?P<end>[.!?…]*)\s*$", re.I)
# Only handles lead a sentence that still reads without them ("RT @x: …", "@x applications are open").
_LEADER = re.compile(rf"^\W*(?:RT\s*:?\s*)?(?:{_HOLE}[\s,&]*(?:and\s+)?)+[:\-–—]?\s*|^\W*RT\s*:\s*", re.I)
_LABEL = re.compile(rf"([\w/]*)\s*[:：]\s*(?:{_ANY}[\s,&]*(?:and\s+|or\s+)?)+\s*[.!?…]*\s*$")  # "<label>: <items>"
_PAREN = re.compile(rf"\s*[(\[][^()\[\]]*{_ANY}[^()\[\]]*[)\]]")
_RESCUE = re.compile(r"(?i)^\W*(?:as requested,?\s*)?(?:here(?:'s|’s| is| are)\b.{0,60}|(?:tweet|post)\s*#?\d*(?:\s*(?:/|of)\s*\d+)?|tweet text|text|draft|"
                     r"final|output|answer|response|thread|sure!?\s*here.{0,40}|okay,?\s*here.{0,40})\s*$")
_CLAUSE = re.compile(r",\s+|;\s+|\s+[—–]\s+|:\s+|\s+-\s+")


@dataclass(frozen=True, slots=True)
class Cleaned:
    """A cleaned text and one line per thing that was taken out of it."""

    text: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Allowed:
    """What the article owns: normalised URLs, X handles and cashtags (lower-case, no sigil), the addresses its
    visible text writes (bot.tweets.items.compare_key of each), and its facts."""

    urls: frozenset[str]
    handles: frozenset[str]
    cashtags: frozenset[str]
    facts: Facts
    written: frozenset[str] = frozenset()


@lru_cache(maxsize=16)
def _allowed(article: Article) -> Allowed:
    entry = article.entry
    own = {u for u in (entry.link, entry.guid) if u and "." in u}
    # What the author writes is the author's word: every block a reader sees (not one addressed to a model), and
    # an address only as written plainly (one the article defangs, "evil[.]com", it does not want linked).
    written: set[str] = set()
    tags: set[str] = set()
    for text in [b.text for b in article.blocks if not b.to_model]:
        for item in find(text):
            if item.kind == "cashtag" and not item.homograph:
                tags.add(compare_key(item))
            elif item.kind in ("url", "address") and not defanged(item):
                written.add(compare_key(item))
    tags |= {m.lower() for m in re.findall(r"(?<![\w$])\$([A-Za-z][A-Za-z0-9_]*)", f"{entry.title}\n{entry.subtitle}")}
    return Allowed(frozenset(normalize_url(u) for u in set(article.links) | own), _handles(article.mentions),
                   frozenset(tags), facts_of(article), frozenset(written))


def allowed_for(article: Article) -> Allowed:
    """The article's allowances, cached when the Article is hashable."""
    try:
        return _allowed(article)
    except TypeError:  # an Article built with unhashable parts (a list for a tuple) is checked uncached
        return _allowed.__wrapped__(article)


def _handles(names: Iterable[str]) -> frozenset[str]:
    return frozenset(n.strip().lstrip("@＠").lower() for n in names if n.strip())


def foreign(text: str, article: Article) -> list[Item]:
    """Every address, handle or cashtag a reader reads in `text` that the article does not allow."""
    allowed = allowed_for(article)
    return [i for i in find(text) if not permitted(i, allowed.urls, allowed.handles, allowed.cashtags, allowed.written)]


def normalize_space(text: str) -> str:
    """Runs of spaces collapsed, lines stripped, blank lines removed (at most single newlines), ends stripped."""
    lines = (re.sub(r"[^\S\n]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def drop_urls(text: str, keep: Callable[[str], bool]) -> str:
    """`text` without the URLs for which `keep(url)` is false (spaces left behind are not yet collapsed); the words
    that only pointed at one go with it, and so does its sentence when what is left of it is no longer whole
    ("Admin panel: <url>", "Log in at <url>")."""
    text = unicodedata.normalize("NFC", text)
    for start, end in reversed(url_spans(text)):
        if not keep(text[start:end]):
            at_end = not text[end:].strip(" \t") or text[end:].lstrip(" \t").startswith("\n")
            head = _LEAD_IN.sub("", text[:start]) if at_end else _ARROWS.sub("", text[:start])
            tail = text[end:]
            if head.rstrip().endswith(("(", "[")) and tail.lstrip()[:1] in (")", "]"):  # "(<url>)" goes whole
                head, tail = head.rstrip()[:-1].rstrip(), tail.lstrip()[1:]
            text = head + (" " if head and not head[-1].isspace() else "") + tail
            text = _drop_broken_sentence(text, len(head))
    return text


def _drop_broken_sentence(text: str, at: int) -> str:
    """`text` without the sentence around position `at` when it no longer reads as a whole sentence."""
    first = text.rfind("\n", 0, at) + 1
    last = text.find("\n", at)
    last = len(text) if last < 0 else last
    line = text[first:last]
    bounds = [0, *(m.end() for m in _SENTENCE.finditer(line)), len(line)]
    rel = min(max(at - first, 0), len(line))
    s0 = max(b for b in bounds if b <= rel)
    after = [b for b in bounds if b > rel]
    if not after and s0 == len(line) and len(bounds) > 2:  # the removal ended the line: judge the last sentence
        s0 = bounds[-3] if bounds[-2] == len(line) else bounds[-2]
    s1 = after[0] if after else len(line)
    sentence = line[s0:s1].strip()
    before = line[s0:rel].rstrip()
    pointed = before.endswith((":", "→", "👉", "👇")) or (before.rsplit(None, 1)[-1].lower() if before else "") in _OPEN_END
    if not sentence or (not pointed and _whole(re.sub(r"[\s:,;\-–—→]+$", "", sentence))):
        return text
    return text[:first] + line[:s0] + line[s1:] + text[last:]


def _strip_scaffolding(text: str) -> str:
    start = text
    for _ in range(8):
        before = text
        text = text.strip().strip("*_").strip()
        for pattern in _LEADERS:
            text = pattern.sub("", text, count=1)
        if text == before:
            break
    if text != start.strip() and text[:1].isascii() and text[:1].islower():
        text = text[0].upper() + text[1:]  # "Thread by …: applications are open." starts a sentence
    return _TRAILING_NUMBER.sub("", text)


def _strip_markdown(text: str) -> str:
    text = _MD_IMAGE.sub(" ", text)
    text = _MD_LINK.sub(lambda m: f"{m.group(1)} {m.group(2)}", text)
    text = _BOLD.sub(lambda m: m.group(1) or m.group(2), text)
    text = _ITALIC.sub(r"\1", text)
    text = _CODE.sub(r"\1", text)
    return _HEADING_LINE.sub("", text)


def _unquote(text: str) -> str:
    while len(text) >= 2 and _QUOTES.get(text[0]) == text[-1]:
        inner = text[1:-1]
        if text[0] in inner or text[-1] in inner:  # 'a' and 'b' are two quotes, not one wrapped tweet
            break
        text = inner.strip()
    return text


def sentences(paragraph: str) -> list[str]:
    """One paragraph split at sentence ends (Latin and CJK), each stripped; never inside an address, handle or
    cashtag a reader reads ("evil . ai", "e v i l . c o m" stay in one sentence)."""
    spans = [(i.start, i.end) for i in find(paragraph)] if paragraph else []
    out: list[str] = []
    last = 0
    for m in _SENTENCE.finditer(paragraph):
        if any(a < m.end() and m.start() < b for a, b in spans):
            continue
        out.append(paragraph[last:m.start()])
        last = m.end()
    out.append(paragraph[last:])
    return [s.strip() for s in out if s.strip()]


def _whole(sentence: str) -> bool:
    """True when a mended sentence still reads as one: enough words, nothing left hanging at its end."""
    words = re.findall(r"[\w'’/]+", sentence)
    wide = sum(1 for c in sentence if unicodedata.east_asian_width(c) in "WF")
    if len(words) < 3 and wide < 6:
        return False
    last = re.sub(r"[\s.!?…,;:]+$", "", sentence).rsplit(None, 1)[-1].lower() if sentence.strip() else ""
    if last in _OPEN_END or sentence.rstrip().endswith((":", ",", ";", "-", "—", "–", "→", "(")):
        return False
    return not re.search(r"(?:^|\s)['’]s\b|\(\s*\)|\[\s*\]|\s[,.;:!?](?=\s|$)", sentence)


def _mend(sentence: str, foreign: list[Item]) -> str:
    """The sentence without its foreign items and what carried them, or "" when no whole sentence is left."""
    text = sentence
    for item in sorted(foreign, key=lambda i: -i.start):
        text = text[: item.start] + (_HOLE if item.kind == "handle" else _GAP) + text[item.end:]
    ends = re.search(r"[.!?…。！？][\"'”’)\]»]*\s*$", sentence)
    end = ends.group(0).strip() if ends else ""
    text = _PAREN.sub("", text)
    if (label := _LABEL.search(text)) and label.group(1).lower() not in {"cc", "via", "h/t", "ht", "thanks", "to"}:
        return ""  # "Follow us on X: <item>": a label whose item is gone says nothing (an attribution, "via:", does)
    text = _LEADER.sub("", text)
    text = _TRAILER.sub("", text)
    if _HOLE in text or _GAP in text:
        parts = _CLAUSE.split(text)
        seps = _CLAUSE.findall(text)
        kept: list[str] = []
        dropped_between = False
        for i, part in enumerate(parts):
            if _HOLE in part or _GAP in part:
                if i and seps[i - 1].strip() in (":", "："):
                    return ""  # "The admin panel for mentors: <item>": a label whose item is gone says nothing
                dropped_between = bool(kept)
                continue
            if kept:
                sep = seps[i - 1]
                kept.append(" " if dropped_between and sep.strip() == "," else sep)
            kept.append(part)
            dropped_between = False
        text = "".join(kept)
    if _HOLE in text or _GAP in text or not text.strip():
        return ""
    text = normalize_space(text).rstrip(" ,;:—–-")
    if text and not re.search(r"[.!?…。！？][\"'”’)\]»]*$", text):
        text += end or "."
    text = text[0].upper() + text[1:] if text[:1].islower() else text
    return text if _whole(text) else ""


def _introduces(sentence: str) -> bool:
    """True for a sentence that only points at what follows it: it ends on a colon or an arrow, is a short question,
    or is a label with no end ("Admin panel", "Log in at", "See")."""
    text = sentence.rstrip()
    if text.endswith((":", "：", "→", "👇", "👉", "⬇️", "⬇")):
        return True
    words = re.findall(r"[\w'’]+", text)
    if len(words) < 3 and text.endswith(("?", "？")):
        return True
    if re.search(r"[.!?…。！？][\"'”’)\]»]*$", text) or any(unicodedata.east_asian_width(c) in "WF" for c in text):
        return False
    return len(words) < 3 or (words[-1].lower() if words else "") in _OPEN_END


def _describe(items: list[Item]) -> str:
    kinds = {"url": "a link", "address": "an address", "handle": "a handle", "cashtag": "a cashtag"}
    return ", ".join(f"{kinds[i.kind]} the article does not have ({i.text})" for i in items)


def _clean_sentence(sentence: str, allowed: Allowed, reasons: list[str], faithful: bool) -> str:
    if is_meta(sentence):
        # "Tweet text: <the tweet>" keeps the tweet; "Note: …" and "Alt text: …" are not tweets at all.
        label, _, after = sentence.partition(":")
        if not _RESCUE.match(label) or is_meta(after) or not _whole(after.strip()):
            reasons.append(f"removed model meta-text ({sentence[:60]})")
            return ""
        sentence = after.strip()
    found = [i for i in find(sentence) if not permitted(i, allowed.urls, allowed.handles, allowed.cashtags, allowed.written)]
    if found:
        mended = _mend(sentence, found)
        reasons.append(f"removed {_describe(found)}" + ("" if mended else " and the sentence that carried it"))
        sentence = mended
    if sentence and faithful:
        bare = sentence
        for item in reversed(find(sentence)):  # what a permitted link or handle spells is not a claim
            bare = bare[: item.start] + " " + bare[item.end:]
        missing = unsupported(bare, allowed.facts)
        if missing:
            reasons.append(f"removed a sentence stating what the article does not say ({', '.join(missing[:3])})")
            return ""
    return sentence


def clean(text: str, article: Article, *, faithful: bool = True) -> Cleaned:
    """Text from a model as whole sentences the article supports, and why anything was removed."""
    allowed = allowed_for(article)
    text = sanitize(text or "")  # one stripper, one pass (it normalises to NFC itself)
    text = strip_invisible(_strip_markdown(unwrap(text)))  # again: an escape such as "\\u200b" spelled one
    text = _unquote(_strip_scaffolding(normalize_space(text)))
    reasons: list[str] = []
    rows: list[tuple[int, str]] = []  # (line, cleaned sentence or "" where one was removed)
    for n, line in enumerate(text.split("\n")):
        line = _unquote(_strip_scaffolding(line))
        rows += [(n, _clean_sentence(s, allowed, reasons, faithful)) for s in sentences(line)]
    # What introduced a removed sentence goes with it, on its line or the line before: a label ("Admin panel:",
    # "Log in at", "See"), or a short question nothing answers now ("Questions? Ask @x.").
    for i in range(len(rows) - 1, 0, -1):
        if not rows[i][1] and rows[i - 1][1] and _introduces(rows[i - 1][1]):
            rows[i - 1] = (rows[i - 1][0], "")
    paragraphs = []
    for n in dict.fromkeys(r[0] for r in rows):
        kept = [s for line, s in rows if line == n and s]
        if kept:
            paragraphs.append(" ".join(kept))
    text = normalize_space("\n".join(paragraphs))
    text = _DANGLING.sub("", text) or text
    text = re.sub(r" +([,.])(?=\s|$)", r"\1", text)
    return Cleaned(_unquote(normalize_space(text)), tuple(dict.fromkeys(reasons)))


def across(texts: Sequence[str], article: Article) -> list[str]:
    """Posts of one thread without an address, handle or cashtag that only two adjacent posts spell together
    ("…visit evil" + ". com today", "Ask @" + "evil"): the sentences on both sides of the seam that carry it go.
    A seam between two whole sentences ("…day." + "Me too") is not read as one host."""
    out = list(texts)
    allowed = allowed_for(article)
    for i in range(len(out) - 1):
        a, b = out[i], out[i + 1]
        if not a.strip() or not b.strip() or (a.rstrip().endswith((".", "!", "?", "…")) and b.lstrip()[:1].isupper()):
            continue
        for glue in ("", " "):
            joined = a + glue + b
            seam = len(a)
            crossing = [it for it in find(joined) if it.start < seam and it.end > seam + len(glue)
                        and not permitted(it, allowed.urls, allowed.handles, allowed.cashtags, allowed.written)
                        and not any(p.start <= it.start and p.end >= seam - 1 for p in find(a)
                                    if permitted(p, allowed.urls, allowed.handles, allowed.cashtags, allowed.written))]
            if crossing:
                start = min(it.start for it in crossing)
                end = max(it.end for it in crossing) - seam - len(glue)
                cuts = [m.end() for m in _SENTENCE.finditer(a) if m.end() <= start]
                out[i] = a[: cuts[-1]].strip() if cuts else ""
                ends = [m.end() for m in _SENTENCE.finditer(b) if m.start() >= end]
                out[i + 1] = b[ends[0]:].strip() if ends else ""
                break
    return out


def clean_thread(texts: Sequence[str], article: Article) -> list[str]:
    """Each post cleaned (clean_tweet) and held together (`across`, before the cleaning too, while both halves of
    "…follow @free" + "mintbot …" are there): what two posts spell at their seam goes."""
    return across([clean_tweet(t, article) for t in across(list(texts), article)], article)


def clean_tweet(text: str, article: Article) -> str:
    """One tweet from a model without scaffolding, meta-text, foreign items or unsupported sentences."""
    return clean(text, article).text


def clean_alt(text: str, article: Article, limit: int = 1000) -> Cleaned:
    """Alt text held to a tweet's hygiene, within `limit` characters (cut at a sentence end where one is close)."""
    out = clean(text, article)
    text = " ".join(out.text.split())
    if len(text) <= limit:
        return Cleaned(text, out.reasons)
    cut = text[:limit]
    stop = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    if stop > limit // 2:
        cut = cut[: stop + 1]
    else:
        cut = cut[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.-") + "…"
    return Cleaned(cut, (*out.reasons, f"alt text cut to {len(cut)} of {limit} characters"))
