"""Thread shaping: from a writer's draft to checked posts — hygiene, count, hashtags, the article link once,
numbering, and every post fitted to the Counter of the network it is for (networks/<name>/length.py). Pure
functions, no I/O."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from urllib.parse import parse_qsl, unquote_plus, urlsplit, urlunsplit

from bot.core.errors import WriterError
from bot.core.records import Article, Draft, ThreadSpec, Tweet
from bot.tweets.grounding import gate
from bot.tweets.hygiene import across, drop_urls, normalize_space, normalize_url, sentences
from bot.tweets.length import ELLIPSIS, Counter, fit, is_valid, sanitize, trim, urls

Rewrite = Callable[[str, int], "str | None"]
Revise = Callable[[str, str, int], "str | None"]  # (tweet, what had to go, budget) -> the tweet without it

# twitter-text's hashtag: not after a word character or "&", and not digits only.
_HASHTAG = re.compile(r"(?<![\w&])[#＃]([\w\u200c\u200d]*[^\W\d_][\w\u200c\u200d]*)")
_ONLY_TAGS_AFTER = re.compile(r"(?:[\s.,;:!?…]|[#＃][\w\u200c\u200d]+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=\S)|(?<=[。！？])\s*(?=\S)|\n")
_LINK_SEPARATOR = "\n\n"
# Room a merged tail keeps for the link (23 + separator) and a "10/10 " prefix before fit() trims it.
_MERGE_SPARE = 32


def with_utm(url: str, utm: str) -> str:
    """`url` with the `utm` query parameters merged in: existing ones kept verbatim unless overridden."""
    utm = utm.strip().lstrip("?&")
    if not url or not utm:
        return url
    parts = urlsplit(url)
    added = [piece for piece in utm.split("&") if piece]
    keys = {unquote_plus(k) for k, _ in parse_qsl(utm, keep_blank_values=True)}
    kept = [p for p in parts.query.split("&") if p and unquote_plus(p.split("=", 1)[0]) not in keys]
    return urlunsplit(parts._replace(query="&".join(kept + added)))


def _key(text: str) -> str:
    """What makes two tweets the same: letters and digits, case-folded."""
    return " ".join(re.sub(r"[\W_]+", " ", text.casefold()).split())


def repeats(a: str, b: str) -> bool:
    """True when two tweets say mostly the same words (six in ten shared), not only when they are identical."""
    x, y = set(_key(a).split()), set(_key(b).split())
    return bool(x and y) and (x == y or len(x & y) / len(x | y) >= 0.6)


def _fill(texts: list[str | None], spares: Sequence[str], notes: list[str]) -> list[str]:
    """Tweets that cleaning emptied take the offline writer's next sentence that repeats no tweet kept."""
    pool = [s for s in spares if s.strip()]
    out: list[str] = []
    for i, text in enumerate(texts, 1):
        if text is None:
            keep = [t for t in texts if t]
            spare = next((s for s in pool if not any(repeats(s, t) for t in keep + out)), None)
            if spare is not None:
                pool.remove(spare)
                out.append(spare)
                notes.append(f"tweet {i}: nothing whole was left; replaced with a passage from the article")
            else:
                notes.append(f"draft tweet {i} was empty after cleaning; dropped")
            continue
        out.append(text)
    return out


def _dedupe(texts: list[str], notes: list[str]) -> list[str]:
    out: list[str] = []
    for i, text in enumerate(texts, 1):
        if not text.strip():
            notes.append(f"draft tweet {i} was empty after cleaning; dropped")
        elif any((_key(text) or text) == (_key(t) or t) or repeats(text, t) for t in out):
            notes.append(f"draft tweet {i} repeated an earlier tweet; dropped")
        else:
            out.append(text)
    return out


def _split_once(text: str, counter: Counter) -> tuple[str, str] | None:
    """`text` cut in two at the sentence end nearest its weighted middle, or None when it is one sentence."""
    cuts = [m.start() for m in _SENTENCE_END.finditer(text) if text[: m.start()].strip() and text[m.end():].strip()]
    if not cuts:
        return None
    half = counter(text) / 2
    cut = min(cuts, key=lambda c: abs(counter(text[:c]) - half))
    return text[:cut].strip(), text[cut:].strip()


def _count(texts: list[str], wanted: int, notes: list[str], counter: Counter) -> list[str]:
    if len(texts) > wanted:
        tail = " ".join(texts[wanted - 1:])
        extra = len(texts) - wanted
        if counter(tail) <= counter.limit - _MERGE_SPARE:
            notes.append(f"draft had {len(texts)} tweets; merged the last {extra + 1} into tweet {wanted}")
            return texts[: wanted - 1] + [tail]
        notes.append(f"draft had {len(texts)} tweets; dropped the last {extra}")
        return texts[:wanted]
    texts = list(texts)
    have = len(texts)
    while len(texts) < wanted:
        order = sorted(range(len(texts)), key=lambda i: -counter(texts[i]))
        for i in order:
            parts = _split_once(texts[i], counter)
            if parts:
                texts[i: i + 1] = list(parts)
                break
        else:
            notes.append(f"kept {len(texts)} of {wanted} tweets: the draft had too little text to split further")
            return texts
    if have < wanted:
        notes.append(f"draft had {have} tweets; split the longest at sentence ends to make {wanted}")
    return texts


def _filter_tags(text: str, allowed: set[str], used: set[str]) -> tuple[str, list[str]]:
    """`text` keeping hashtags in `allowed` not yet in `used`; others lose the sign inline, or go if trailing."""
    dropped: list[str] = []

    def repl(m: re.Match[str]) -> str:
        tag = m.group(1).lower()
        if tag in allowed and tag not in used:
            used.add(tag)
            return m.group(0)
        dropped.append(m.group(0))
        # A hashtag inside a sentence keeps its word; one in the trailing block of tags goes whole.
        return "" if _ONLY_TAGS_AFTER.fullmatch(text, m.end()) else m.group(1)

    return normalize_space(_HASHTAG.sub(repl, text)), dropped


def _limit_hashtags(texts: list[str], cap: int, notes: list[str], own: frozenset[str] = frozenset()
                    ) -> tuple[list[str], set[str]]:
    """The cap counts the tags the model made; a tag the article itself writes (`own`) is the author's word."""
    allowed = {m.group(1).lower() for text in texts for m in _HASHTAG.finditer(text)} & own
    extra = 0
    for text in texts:
        for m in _HASHTAG.finditer(text):
            if extra < cap and m.group(1).lower() not in allowed:
                allowed.add(m.group(1).lower())
                extra += 1
    used: set[str] = set()
    out, dropped = [], []
    for text in texts:
        cleaned, gone = _filter_tags(text, allowed, used)
        out.append(cleaned)
        dropped += gone
    if dropped:
        notes.append(f"hashtags: kept {len(used)} (at most {cap} besides the article's own), removed {len(dropped)}: {' '.join(dropped)}")
    return out, used


def _whole_sentences(text: str, budget: int, counter: Counter) -> str:
    """The longest run of `text`'s first whole sentences that fits `budget`, or "" when the first does not."""
    parts = [p for line in text.split("\n") for p in sentences(line)]
    while parts and counter(" ".join(parts)) > budget:
        parts.pop()
    return " ".join(parts)


def _fallback(article: Article, notes: list[str]) -> list[str]:
    title = normalize_space(sanitize(article.title))
    if not title:
        raise WriterError("the writer produced no usable tweet and the article has no title",
                          hint="check the feed entry, or try another writer model")
    notes.append("the draft had no usable tweet; used the article's title")
    return [title]


def check(draft: Draft, article: Article, spec: ThreadSpec, rewrite: Rewrite | None = None,
          attempts: int = 2, spares: Sequence[str] = (), *, counter: Counter, revise: Revise | None = None,
          ) -> tuple[tuple[Tweet, ...], tuple[str, ...]]:
    """A draft turned into exactly-valid posts (hygiene, count, hashtags, link once, numbering, fit) and notes.

    A tweet that lost a whole sentence to hygiene (a foreign item, a claim the article lacks) is sent once to
    `revise`; the answer is used only if hygiene then has nothing to remove. `spares` are the offline writer's
    tweets for this article: one takes the place of a tweet that hygiene left with nothing whole. `counter` is
    the network's rule (networks/<name>/length.py); each Tweet's weighted_length is that network's length of it.
    Every text here goes through bot.tweets.grounding.gate (hygiene and grounding) after each change: the model's tweet, its
    revision, a shortening, and each post as it is finally assembled; the draft's `evidence` guides grounding."""
    notes: list[str] = []
    hints = tuple(dict.fromkeys(q for quotes in draft.evidence for q in quotes))

    def gated(text: str, article: Article) -> gate.Passed:
        return gate.check(text, article, hints)

    entry = article.entry
    own = {normalize_url(u) for u in (entry.link, entry.guid) if u and "." in u}

    def not_own(url: str) -> bool:
        return normalize_url(url) not in own

    cleaned: list[str | None] = []
    # The seams are read before each post is cleaned too, while both halves of "…follow @free" + "mintbot …" are
    # there: the cleaning takes "@free" (and its label) from the first post, and the half that starts the next post
    # ("mintbot …", which a reader still joins to it) goes here.
    raws = list(draft.tweets)
    for k in range(1, len(raws)):
        raws[k] = across([draft.tweets[k - 1], raws[k]], article)[1]
    if raws != list(draft.tweets):
        notes.append("removed what two of the model's posts spelled together at their seam (an address, handle or "
                     "cashtag)")
    for i, raw in enumerate(raws, 1):
        out = gated(raw, article)
        if out.reasons:
            notes.append(f"tweet {i}: " + "; ".join(out.reasons))
            lost = [r for r in out.reasons if "sentence" in r]
            again = revise(raw, "; ".join(lost), counter.limit - _MERGE_SPARE) if revise and lost else None
            fixed = gated(again, article) if isinstance(again, str) else None
            if fixed is not None and fixed.text and not fixed.reasons:
                out = fixed
                notes.append(f"tweet {i}: rewritten once by the model without it")
        text = normalize_space(drop_urls(out.text, not_own))
        cleaned.append(text if text or not raw.strip() else None)
    spare_texts = [normalize_space(drop_urls(gated(t, article).text, not_own)) for t in spares]
    texts = _fill(cleaned, spare_texts, notes)
    copies = sum(1 for t in draft.tweets if any(normalize_url(u) in own for u in urls(t)))
    if copies and spec.link != "none":
        notes.append(f"removed the article link the model wrote in {copies} tweet(s); it is placed once")
    texts, tags = _limit_hashtags(texts, spec.hashtags, notes, frozenset(t.lower() for t in article.hashtags))
    texts = _dedupe(texts, notes) or _fill([None], spare_texts, notes) or _fallback(article, notes)
    texts = _count(texts, max(1, spec.tweets), notes, counter)
    # Posts are read one after another: what two of them spell at their seam ("…through evil." + "xyz/red…") goes.
    seamed = [normalize_space(t) for t in across(texts, article)]
    if seamed != texts:
        notes.append("removed what two posts spelled together at their seam (an address, handle or cashtag)")
        texts = [t for t in seamed if t] or _fallback(article, notes)

    def clean_rewrite(text: str, budget: int) -> str | None:
        out = rewrite(text, budget) if rewrite else None
        if not isinstance(out, str):
            return None
        out = normalize_space(drop_urls(gated(out, article).text, not_own))
        if not out:
            return None
        present = {m.group(1).lower() for m in _HASHTAG.finditer(text)} & tags
        return _filter_tags(out, present, set())[0]

    # The article link appears once: on X's pay-per-use pricing a post with a URL costs $0.20 and one
    # without $0.015 (the design notes, "Facts about the outside world"), so every extra copy costs money.
    link = with_utm(entry.link, spec.utm) if spec.link != "none" else ""
    for _ in range(len(texts) + 1):
        tweets, dup = _assemble(texts, link, spec, clean_rewrite if rewrite else None, attempts, notes, counter,
                                (article, hints))
        if dup is None:
            dup = _seam(tweets, article)  # a fitted post's end and the next one's start, read together
            if dup is None:
                break
        if len(texts) == 1:  # nothing of the last post passed the gate: the article's title stands in
            texts = _fallback(article, notes)
            continue
        notes.append(f"tweet {dup + 1} came out the same as an earlier one, or with nothing that passed the last "
                     "gate; dropped")
        del texts[dup]
    if not tweets:
        raise WriterError("no post of the thread passed the last gate",
                          hint="check the feed entry, or try another writer model")
    for tweet in tweets:
        if not is_valid(tweet.text, counter.measure, counter.limit) or tweet.weighted_length > counter.limit:
            raise WriterError(f"a checked {counter.network} post is still invalid ({tweet.weighted_length}/{counter.limit})",
                              hint="this is a bug in bot.shape; please report it with the article's link")
    return tweets, tuple(notes)


def _seam(tweets: tuple[Tweet, ...], article: Article) -> int | None:
    """The index of the later of two finished posts that spell a foreign item together at their seam, if any."""
    texts = [t.text for t in tweets]
    held = across(texts, article)
    return next((i for i in range(1, len(texts)) if held[i] != texts[i] or held[i - 1] != texts[i - 1]), None)


def _assemble(texts: list[str], link: str, spec: ThreadSpec, rewrite: Rewrite | None, attempts: int,
              notes: list[str], counter: Counter, grounds: tuple[Article, tuple[str, ...]],
              ) -> tuple[tuple[Tweet, ...], int | None]:
    """Tweets with numbering and the link placed and each fitted, each through the last gate; or the index of a
    duplicate to drop."""
    n = len(texts)
    at = 0 if spec.link == "first" else n - 1
    out: list[Tweet] = []
    seen: set[str] = set()
    fit_notes: list[str] = []
    for i, text in enumerate(texts):
        prefix = f"{i + 1}/{n} " if spec.numbering and n > 1 else ""
        suffix = f"{_LINK_SEPARATOR}{link}" if link and i == at else ""
        limit = counter.limit
        budget = limit - counter(prefix) - counter(suffix)
        if budget < 2 and suffix:
            notes.append(f"the article link is too long to post ({counter(link)}); left out")
            suffix, budget = "", limit - counter(prefix)
        label = f"{counter.post or counter.network + ' post'} {i + 1}"
        body, note = fit(text, budget, rewrite, attempts, label=label, measure=counter.measure, limit=limit)
        whole = _whole_sentences(text, budget, counter)
        if body.endswith(ELLIPSIS) and whole:  # a cut mid-thought reads worse than fewer whole sentences
            body, note = whole, f"{label} cut to its first whole sentences ({counter(whole)}/{budget})"
        full = prefix + body + suffix
        # Counting the parts apart can differ from counting the whole at the seams; shrink until it fits.
        while counter(full) > limit and budget > 2:
            budget = max(2, budget - (counter(full) - limit))
            body = trim(body, budget, counter.measure)
            full = prefix + body + suffix
            note = f"{label} trimmed from {counter(text)} to {counter(body)}"
        key = _key(body) or body
        if key in seen:
            return (), i
        seen.add(key)
        if note:
            fit_notes.append(note)
        post = gate.post(prefix, body, suffix, grounds[0], counter, grounds[1])
        if post is None:  # a shortening left nothing the article supports: drop it, as a duplicate is
            return (), i
        out.append(post)
    notes.extend(fit_notes)
    return tuple(out), None
