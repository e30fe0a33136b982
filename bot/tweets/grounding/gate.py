"""One gate, last: every text that leaves the bot passes here after its last change, and only here becomes `Gated`.

The gate is hygiene (bot.tweets.hygiene: scaffolding, meta-text, invisible characters, addresses, handles and
cashtags the article does not own — whole sentences), then grounding (passages.py: each sentence on its
passage of the article; a hashtag held to the article like a word), then, for a post, its network's counter. A
post, its alt text and the prompt sent to the image model all pass it; `core.records.Tweet.text` and the image
chain's prompt are typed `Gated`, so a text that skipped it cannot be published or sent to a model.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.errors import WriterError
from bot.core.records import Article, Gated, Tweet
from bot.tweets import hygiene
from bot.tweets.grounding.passages import hashtag_grounded, split, support
from bot.tweets.items import find
from bot.tweets.length import Counter, is_valid

log = logging.getLogger(__name__)

_TAG = re.compile(r"(?<![\w&])[#＃]([\w\u200c\u200d]*[^\W\d_][\w\u200c\u200d]*)")
_ONLY_TAGS = re.compile(r"^(?:\s*[#＃][\w\u200c\u200d]+)+[\s.!?]*$")
_TRAILING_TAGS = re.compile(r"(?:\s+[#＃][\w\u200c\u200d]+)+[.!?…]*\s*$")
_DEFAULT_PROMPT = "An editorial illustration for an article titled {title}. Calm colours, no text."


@dataclass(frozen=True, slots=True)
class Passed:
    """What came through the gate, why anything was taken out, and the passages the text stands on."""

    text: Gated
    reasons: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()


def _tags(line: str, article: Article, reasons: list[str]) -> str:
    """The line without hashtags the article does not support (a tag is a claim, like a word)."""
    def repl(m: re.Match[str]) -> str:
        if hashtag_grounded(m.group(0), article):
            return m.group(0)
        reasons.append(f"removed a hashtag the article does not support ({m.group(0)})")
        return ""

    return _TAG.sub(repl, line)


def _bare(sentence: str) -> str:
    """The sentence without the links, handles and cashtags hygiene let stay: what they spell is not a claim."""
    for item in sorted(find(sentence), key=lambda i: -i.start):
        sentence = sentence[: item.start] + " " + sentence[item.end:]
    return sentence


def ground(text: str, article: Article, hints: Sequence[str] = (), *, whole: bool = False) -> Passed:
    """`text` keeping only the sentences the article supports (whole sentences; a line of hashtags is checked tag
    by tag), why any went, and the passages the kept ones rest on. `whole`: held to the article, not one passage."""
    reasons: list[str] = []
    evidence: list[str] = []
    lines = []
    for line in text.split("\n"):
        kept = []
        for sentence in split(line) if line.strip() else []:
            if _ONLY_TAGS.match(sentence):
                sentence = hygiene.normalize_space(_tags(sentence, article, reasons))
                if sentence:
                    kept.append(sentence)
                continue
            found = support(_bare(sentence), article, hints, whole=whole)
            trailing = _TRAILING_TAGS.search(sentence)
            head = sentence[: trailing.start()] if trailing else sentence
            missing = list(found.missing)
            if _tags(head, article, []) != head:
                missing.append("a hashtag inside it that the article does not support")
            if missing:
                reasons.append("removed a sentence stating what its passage of the article does not say ("
                               + ", ".join(missing[:3]) + ")")
                continue
            if trailing:
                sentence = hygiene.normalize_space(head + _tags(trailing.group(0), article, reasons))
            kept.append(sentence)
            evidence += [e for e in found.evidence if e not in evidence]
        if kept:
            lines.append(" ".join(kept))
    return Passed(Gated(hygiene.normalize_space("\n".join(lines))), tuple(dict.fromkeys(reasons)), tuple(evidence))


def check(text: str, article: Article, hints: Sequence[str] = (), *, faithful: bool = True) -> Passed:
    """Hygiene, then grounding: the text as it may leave (before its network's length is checked)."""
    cleaned = hygiene.clean(text, article, faithful=False)
    if not faithful:
        return Passed(Gated(cleaned.text), cleaned.reasons)
    grounded = ground(cleaned.text, article, hints)
    return Passed(grounded.text, (*cleaned.reasons, *grounded.reasons), grounded.evidence)


def post(prefix: str, body: str, suffix: str, article: Article, counter: Counter,
         hints: Sequence[str] = ()) -> Tweet | None:
    """One post as it leaves for `counter`'s network: the body through the gate after its last change, the bot's
    own numbering and the article's link around it, measured by that network; None when nothing of the body passes.
    Raises WriterError when the result is not a valid post (a bug: fitting measured it)."""
    passed = check(body, article, hints)
    if passed.reasons:
        log.info("gate: %s", "; ".join(passed.reasons))
    if not passed.text:
        return None
    full = prefix + passed.text + suffix
    length = counter(full)
    if length > counter.limit or not is_valid(full, counter.measure, counter.limit):
        raise WriterError(f"a {counter.network} post did not pass the last gate ({length}/{counter.limit})",
                          hint="this is a bug in bot.shape; please report it with the article's link")
    return Tweet(Gated(full), length, passed.evidence)


def recheck(text: str, article: Article, counter: Counter) -> Gated:
    """A saved post (a plan, a draft under review) through the gate again before it leaves; the text stays as saved
    when it passes, and loses what does not (logged) when it does not."""
    link = next((u for u in (article.entry.link, article.entry.guid) if u and u in text), "")
    head = re.match(r"^\d{1,2}/\d{1,2} ", text)
    prefix = head.group(0) if head else ""
    body = text[len(prefix):]
    suffix = ""
    if link and "\n\n" in body and body.rsplit("\n\n", 1)[1].startswith(link):
        body, tail = body.rsplit("\n\n", 1)
        suffix = "\n\n" + tail
    passed = check(body, article)
    if passed.text == hygiene.normalize_space(body) or not passed.reasons:
        return Gated(text)
    log.warning("gate: a saved post lost what it may not say: %s", "; ".join(passed.reasons))
    return Gated(prefix + passed.text + suffix) if passed.text else Gated(hygiene.normalize_space(article.title))


def edit(text: str, article: Article, counter: Counter) -> Passed:
    """A reviewer's edit through the same gate: hygiene, grounding and the network's counter."""
    passed = check(text, article)
    if counter(passed.text) > counter.limit:
        return Passed(passed.text, (*passed.reasons, f"{counter(passed.text)}/{counter.limit} is over the limit"))
    return passed


def alt_text(text: str, article: Article, limit: int) -> Passed:
    """Alt text through the gate: hygiene within `limit` characters, every number, name and quote the article's."""
    cleaned = hygiene.clean_alt(text, article, limit)
    grounded = ground(cleaned.text, article, whole=True)
    return Passed(grounded.text, (*cleaned.reasons, *grounded.reasons))


def image_prompt(prompt: str, article: Article) -> Passed:
    """The prompt sent to the image model through the gate (what it would draw or write is what the article
    says); when nothing whole is left, a neutral prompt from the article's title, itself gated."""
    cleaned = hygiene.clean(" ".join(prompt.split()), article, faithful=False)
    grounded = ground(cleaned.text, article, whole=True)
    reasons = (*cleaned.reasons, *grounded.reasons)
    if grounded.text:
        return Passed(grounded.text, reasons)
    title = ground(hygiene.clean(article.title, article, faithful=False).text, article, whole=True).text
    fallback = _DEFAULT_PROMPT.format(title=title or "an essay")
    return Passed(Gated(hygiene.normalize_space(fallback)), (*reasons, "image prompt: used a neutral one from the title"))
