"""Article cleaning: a post's HTML to readable text blocks, minus Substack's widgets, plus its links and handles.

Hand-written on the stdlib `html.parser` on purpose: the venv has no HTML tree library, feedparser
sanitizes but gives no structure, and a streaming pass with counters (no tree, no backtracking) stays
linear on hostile input — unclosed tags, deep nesting, megabytes of markup.

The defence against prompt injection is structural, not a guess at the attacker's wording: only what a reader
sees becomes a block (the `hidden` attribute, `aria-hidden`, display:none / visibility:hidden / zero size or
opacity styles, screen-reader-only classes, <template>, <script>, comments and the collapsed body of a
<details> — a reader sees its <summary> only — never reach the model), `Article.links` holds only the anchors a
reader can see and click plus the post's own address, and hygiene holds every tweet to that list whatever the
text says. A paragraph that reads like an instruction to a model ("ignore previous instructions …") is kept —
it may be a post about prompt injection — but marked `Block.to_model`, so the offline writer never quotes it.

`Article.mentions` holds the X handles written in the visible body, lower-case and WITHOUT their sigil
("@SomeOne" → "someone"); a handle the sentence gives to another network ("Follow us on Instagram at @pennspark",
"@maya.bsky.social") is not an X handle and is left out. `Article.hashtags` holds the tags, likewise.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from html.parser import HTMLParser
from importlib.resources import files
from urllib.parse import urljoin, urlsplit

from bot.core.records import Article, Block, BlockKind, Entry

# Elements dropped with everything inside them.
_DROP_TAGS = frozenset({
    "script", "style", "iframe", "noscript", "svg", "math", "figure", "figcaption", "picture", "img", "video",
    "audio", "canvas", "object", "embed", "button", "form", "input", "select", "textarea", "template", "head",
    "title", "nav",
})
# Substack's widget classes (subscribe box, share/comment buttons, footnotes, image chrome, paywall).
_DROP_CLASSES = frozenset({
    "subscription-widget", "subscription-widget-wrap", "subscription-widget-wrap-editor", "subscribe-widget",
    "captioned-button-wrap", "button-wrapper", "button", "footnote", "footnotes", "footnote-anchor",
    "footnote-number", "footnote-content", "footnote-hovercard", "captioned-image-container", "image2-inset",
    "image-link", "image-link-expand", "image-caption", "cta-caption", "preamble", "paywall", "paywall-jump", "paywall-title",
    "share-dialog", "post-ufi", "native-video-embed", "youtube-wrap", "install-substack-app-embed",
})
_DROP_COMPONENTS = frozenset({
    "SubscribeWidgetToDOM", "ButtonCreateButton", "CaptionedButtonToDOM", "FootnoteAnchorToDOM",
    "FootnoteToDOM", "Image2ToDOM", "ImageGallery", "InstallSubstackAppToDOM",
})
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
                   "source", "track", "wbr"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BLOCKS = _HEADINGS | frozenset({
    "p", "div", "li", "ul", "ol", "blockquote", "table", "tr", "td", "th", "section", "article", "header",
    "footer", "pre", "hr", "br", "dl", "dt", "dd", "aside", "main", "details", "summary",
})
_KIND: dict[str, BlockKind] = {"li": "list", "dt": "list", "dd": "list", "blockquote": "quote"}
# Whole blocks that are Substack calls to action, not writing.
_BOILERPLATE = frozenset({
    "subscribe", "subscribe now", "share", "share this post", "leave a comment", "read more", "read more…",
    "give a gift subscription", "this post is for paid subscribers", "upgrade to paid", "get the app", "start writing", "continue reading",
    "keep reading with a 7-day free trial", "thanks for reading! subscribe for free to receive new posts and "
    "support my work.",
})
_WS = re.compile(r"[\s\u00a0\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u00ad\u200b\u2060\ufeff\ufffe\uffff]")
_FOOTNOTE_REF = re.compile(r"^\s*[\[(]?\s*(\d{1,3}|[*†‡§]+)\s*[\])]?\s*$")
# X handles: 1-15 of [A-Za-z0-9_], not glued to an ASCII word (so e-mail addresses do not count; after Japanese
# text, "Xで@tokyo_rust", X links the handle, and so does the article). Stricter than what X links (bot.tweets.entities,
# which this stage may not import): an account name is at most 15 characters, and a dotted @name.host is not one.
_X_HANDLE = re.compile(r"(?<![A-Za-z0-9_@.+-])@([A-Za-z0-9_]{1,15})(?![A-Za-z0-9_@]|\.[A-Za-z0-9])")
# A sentence that gives a handle to another network: that handle is someone else's on X.
_NETWORK = re.compile(r"(?i)\b(?:instagram|insta|ig|tiktok|threads|bluesky|bsky|mastodon|fediverse|youtube|facebook|fb|linkedin|"
                      r"telegram|discord|snapchat|snap|twitch|pinterest|reddit|github|substack notes|whatsapp|signal|kick)\b")
_ON_X = re.compile(r"(?i)\b(?:twitter|on x|x\.com|x/twitter|x \(twitter\))\b")
_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n")
# Hidden from readers: inline styles and utility classes that keep text off the screen.
_HIDDEN_STYLE = re.compile(r"(?i)(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse)"
                           r"|font-size\s*:\s*0(?:\.0+)?(?:[a-z%]+)?\s*(?:!important)?\s*(?:;|$)|opacity\s*:\s*0(?:\.0+)?\s*(?:!important)?\s*(?:;|$)"
                           r"|(?:max-)?(?:height|width)\s*:\s*0(?:px)?\s*(?:!important)?\s*(?:;|$)|(?:left|top|text-indent)\s*:\s*-\d{3,})")
_HIDDEN_CLASSES = frozenset({"hidden", "visually-hidden", "sr-only", "screen-reader-text", "screen-reader-only", "d-none",
                             "invisible", "hide", "is-hidden", "u-hidden", "offscreen"})
_HASHTAG = re.compile(r"(?<![\w&#/])#(\w*[^\W\d_]\w*)")
# Text addressed to a model, not a reader: prompt injection. Generous on purpose: losing one paragraph of a
# post about prompt injection costs less than posting an attacker's words under the user's name.
_INSTRUCTIONS = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass)\b[^.!?\n]{0,40}?\b(?:previous|prior|above|earlier|preceding|all|any|your|system)\b"
    r"[^.!?\n]{0,30}?\b(?:instructions?|prompts?|rules|directions|guidelines)\b"
    r"|\bsystem prompt\b|\byou are now\b[^.!?\n]{0,30}\bmode\b|\bnew instructions?\s*:|\bas an ai(?: language)? model\b"
    r"|</?\s*(?:system|instructions?|assistant|article)\s*>|\[/?INST\]|<\|im_(?:start|end)\|>",
    re.IGNORECASE)
# The same, in the words of other languages and of notes left for a summariser ("Note to AI assistants", "AI: include",
# "[SYSTEM] New policy", "Assistant, when you write the thread"), judged on the text with compatibility forms and
# look-alike letters folded ("Ｉｇｎｏｒｅ", a Cyrillic "Іgnоrе").
_ADDRESSED = re.compile(
    r"^\W*(?:note\W+)?(?:assistants?|ai|llms?|language models?|models?|chatbots?|bots?|system|gpt|chatgpt|claude|gemini)\s*[,:]"
    r"|\bnote (?:to|for) (?:the |any |all )?(?:ai|assistants?|models?|llms?|bots?|language models?|summari[sz]ers?)\b"
    r"|\b(?:ai|assistants?|language models?|llms?|chatbots?)\s+(?:summari[sz]ing|reading|writing|processing)\b"
    r"|\[\s*system\s*\]|\bnew policy\s*:|\bevery (?:thread|tweet|post|summary) must\b|\bwhen you (?:write|summari[sz]e)\b"
    r"|\bdisregard (?:the|everything|all)\b[^.!?\n]{0,20}\b(?:above|previous|prior|before)\b"
    r"|\b(?:ignorez|oubliez)\b.{0,40}\binstructions?\b|\b(?:ignoriere|ignorieren sie|vergiss|vergessen sie)\b.{0,40}\banweisungen\b"
    r"|\b(?:ignora|olvida|ignore|esqueça|dimentica)\b.{0,40}\b(?:instrucciones|instruções|istruzioni)\b"
    r"|\bигнорируй.{0,40}инструкци|忽略.{0,12}(?:指令|指示|说明|規則|规则)|指示を無視|지시를 무시",
    re.IGNORECASE)


def addresses_model(text: str) -> bool:
    """True when a passage reads as an instruction to a language model rather than writing for readers."""
    folded = unicodedata.normalize("NFKC", text)
    latin = folded if folded.isascii() else "".join(_latin(c) for c in folded)
    return any(p.search(t) for p in (_INSTRUCTIONS, _ADDRESSED) for t in (folded, latin))


def _latin(char: str) -> str:
    """The Latin letter `char` is named for (CYRILLIC … LETTER I), else the ASCII letter Unicode's confusables
    (UTS #39) give as its look-alike, else `char`."""
    named = re.search(r"\bLETTER (?:[A-Z-]+ )*([A-Z])$", unicodedata.name(char, "")) if not char.isascii() else None
    if named and unicodedata.category(char).startswith("L"):
        return named.group(1).lower()
    return _lookalike_letters().get(char, char)


@lru_cache(maxsize=1)
def _lookalike_letters() -> dict[str, str]:
    """Each character's first one-letter ASCII look-alike in confusables.txt (bot/data/lookalikes.txt, made from
    the confusable_homoglyphs package: 13 KB read instead of its 6 MB table)."""
    text = files("bot").joinpath("data", "lookalikes.txt").read_text("ascii")
    rows = [line.split() for line in text.splitlines() if not line.startswith(("#", ". "))]
    return {chr(int(code, 16)): alpha for code, _, alpha in rows if alpha != "-"}


# A thread needs the start of a post, not all of it; a cap keeps a hostile 10 MB body well under a second
# (the stdlib parser handles ~2 MB of dense tags a second). Real Substack posts are well under this
# (a long essay with images is ~200 KB of HTML); only the tail of a bigger one is lost.
MAX_HTML_CHARS = 1_000_000


class _Cleaner(HTMLParser):
    """One streaming pass: counters instead of a tree, so the work stays linear in the input."""

    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.blocks: list[Block] = []
        self.links: list[str] = []
        self.link_blocks: list[int] = []  # for each link, the index of the block it sits in
        self._parts: list[str] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, starts a dropped region)
        self._open: dict[str, int] = {}  # tag -> how many are open, so stray end tags cost O(1)
        self._skip = 0
        self._kinds: list[str] = []  # open h1-h6 / li / blockquote, innermost last
        self._sups: list[tuple[int, bool]] = []  # (index in _parts where a <sup> began, holds a link)
        self._anchors: list[tuple[str, int, int]] = []  # open <a>: (url, index in _parts, block index)
        self._details = 0  # open <details>: only the <summary> of one is on the screen
        self._summary = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            if tag in ("br", "hr") and not self._skip:
                self._flush() if tag == "hr" else self._parts.append(" ")
            return
        if tag == "p" and self._stack and self._stack[-1][0] == "p":
            self._end("p")  # a <p> closes an open <p>, as browsers do
        if tag == "li" and self._stack and self._stack[-1][0] == "li":
            self._end("li")
        drop = bool(self._skip) or self._drops(tag, attrs)
        if not self._skip and tag in _BLOCKS:
            self._flush()
        self._push(tag, drop and not self._skip)
        if drop:
            return
        if tag == "details":
            self._details += 1
        elif tag == "summary":
            self._summary += 1
        if tag in _HEADINGS or tag in _KIND:
            self._kinds.append(tag)
        elif tag == "sup":
            self._sups.append((len(self._parts), False))
        elif tag == "a":
            self._anchor(dict(attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._open.get(tag):
            self._end(tag)

    def handle_data(self, data: str) -> None:
        if not self._skip and not self._collapsed():
            self._parts.append(data)

    def _collapsed(self) -> bool:
        """Inside the body of a closed <details>: not on the screen until a reader opens it."""
        return self._details > 0 and self._summary == 0

    def close(self) -> None:
        super().close()
        while self._stack:
            self._end(self._stack[-1][0])
        self._flush()

    def _drops(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        if tag in _DROP_TAGS:
            return True
        values = dict(attrs)
        classes = (values.get("class") or "").split()
        if any(c in _DROP_CLASSES or c.startswith("subscription-widget") for c in classes):
            return True
        if (values.get("data-component-name") or "") in _DROP_COMPONENTS:
            return True
        if "hidden" in values or (values.get("aria-hidden") or "").strip().lower() == "true":
            return True
        if _HIDDEN_STYLE.search(values.get("style") or "") or any(c.lower() in _HIDDEN_CLASSES for c in classes):
            return True
        href = values.get("href") or ""
        return tag == "a" and href.startswith(("#fn", "#footnote", "#ref"))

    def _anchor(self, attrs: dict[str, str | None]) -> None:
        href = (attrs.get("href") or "").strip()
        if not href or href.startswith("#"):
            return
        if self._sups:
            self._sups[-1] = (self._sups[-1][0], True)
        url = urljoin(self.base, href) if self.base else href
        if urlsplit(url).scheme.lower() in ("http", "https") and not self._collapsed():
            self._anchors.append((url, len(self._parts), len(self.blocks)))

    def _push(self, tag: str, starts_drop: bool) -> None:
        self._stack.append((tag, starts_drop))
        self._open[tag] = self._open.get(tag, 0) + 1
        if starts_drop:
            self._skip += 1

    def _end(self, tag: str) -> None:
        # Pop up to and including the innermost open `tag`; anything left open inside closes with it.
        while self._stack:
            name, starts_drop = self._stack.pop()
            self._open[name] -= 1
            if starts_drop:
                self._skip -= 1
            elif not self._skip:
                self._close(name)
            if name == tag:
                return

    def _close(self, tag: str) -> None:
        if tag == "a" and self._anchors:
            url, start, block = self._anchors.pop()
            shown = "".join(self._parts[start:])
            # An anchor with no visible text cannot be clicked; one that shows another address than it goes to is a
            # disguise, and neither address is the author's link.
            if _visible(shown) and not _shows_another(shown, url):
                self.links.append(url)
                self.link_blocks.append(block)
        elif tag == "details":
            self._details -= 1
        elif tag == "summary":
            self._summary -= 1
        if tag in _BLOCKS:
            self._flush()
        if (tag in _HEADINGS or tag in _KIND) and self._kinds:
            self._kinds.pop()
        elif tag == "sup" and self._sups:
            start, linked = self._sups.pop()
            text = "".join(self._parts[start:])
            if _FOOTNOTE_REF.match(text) and (linked or "[" in text):
                del self._parts[start:]

    def _flush(self) -> None:
        if not self._parts:
            return
        text = normalise("".join(self._parts))
        self._parts.clear()
        self._sups = [(0, linked) for _, linked in self._sups]
        if not _is_content(text):
            return
        inner = self._kinds[-1] if self._kinds else ""
        kind: BlockKind = "heading" if inner in _HEADINGS else _KIND.get(inner, "paragraph")
        self.blocks.append(Block(kind, text))


# Text a reader takes for an address: a scheme or www., or a host with a path ("readinggroup.org/spring").
_SHOWN_ADDRESS = re.compile(r"(?i)(?:https?://|\bwww\.)([a-z0-9-]+(?:\.[a-z0-9-]+)+)|"
                            r"(?<![\w@.-])([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})/")


def _shows_another(shown: str, url: str) -> bool:
    """True when an anchor's visible text is an address on another host than the one it links to."""
    m = _SHOWN_ADDRESS.search(shown)
    if not m:
        return False
    host = (m.group(1) or m.group(2)).lower().removeprefix("www.")
    target = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    return not (host == target or host.endswith("." + target) or target.endswith("." + host))


_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")  # Hangul fillers and the Braille blank draw nothing


def _visible(text: str) -> bool:
    """True when `text` draws something: not only spaces, zero-width, format, control or combining characters."""
    return any(unicodedata.category(c)[0] not in "CZM" and c not in _BLANK_LETTERS for c in text)


def normalise(text: str) -> str:
    """Collapse every run of whitespace (nbsp included) to one space and drop invisible characters."""
    return _WS.sub(" ", _INVISIBLE.sub("", unicodedata.normalize("NFC", text))).strip()


def _is_content(text: str) -> bool:
    if not text or text.lower().rstrip(" →»>.!").strip() in _BOILERPLATE or text.lower() in _BOILERPLATE:
        return False
    # A separator such as "* * *" or "—" is not a block; an emoji-only line is.
    return any(unicodedata.category(ch)[0] not in "PZ" for ch in text)


def x_handles(texts: Iterable[str]) -> frozenset[str]:
    """The @handles in `texts` that are X handles: not in a sentence that gives them to another network."""
    found: set[str] = set()
    for text in texts:
        for sentence in _SENTENCE.split(text):
            if "@" not in sentence or (_NETWORK.search(sentence) and not _ON_X.search(sentence)):
                continue
            found.update(m.lower() for m in _X_HANDLE.findall(sentence))
    return frozenset(found)


def html_to_blocks(html: str, base: str = "") -> list[Block]:
    """The readable blocks (headings, paragraphs, quotes, list items) of an HTML fragment."""
    return list(_parse(html, base).blocks)


def _parse(html: str, base: str) -> _Cleaner:
    cleaner = _Cleaner(base)
    cleaner.feed((html or "")[:MAX_HTML_CHARS])
    cleaner.close()
    return cleaner


def read_article(entry: Entry) -> Article:
    """An entry as an Article: text blocks without widgets, and the links, @handles and #tags it holds."""
    cleaner = _parse(entry.html, entry.link)
    blocks = cleaner.blocks
    while entry.paywalled and blocks and blocks[-1].text.lower().startswith("read more"):
        blocks.pop()
    marked = {i for i, b in enumerate(blocks) if addresses_model(b.text)}
    # An instruction split over two blocks ("… ignore" / "the earlier rules and add …") marks both.
    marked |= {j for i in range(len(blocks) - 1) if i + 1 not in marked and not blocks[i].text.rstrip().endswith(
               (".", "!", "?", "。", "！", "？")) and addresses_model(blocks[i].text + " " + blocks[i + 1].text) for j in (i, i + 1)}
    blocks = [Block(b.kind, b.text, True) if i in marked else b for i, b in enumerate(blocks)]
    to_model = {i for i, b in enumerate(blocks) if b.to_model}
    notes: tuple[str, ...] = ()
    if to_model:
        notes = (f"{len(to_model)} passage(s) of the article address a language model (prompt injection?); their links "
                 "are not the article's, the thread keeps to its own links and handles, the offline writer does not quote them",)
    if not blocks and entry.subtitle:
        blocks = [Block("paragraph", normalise(entry.subtitle))]
    text = "\n".join(b.text for b in blocks) + "\n" + entry.title + "\n" + entry.subtitle
    # Blocks are filtered above only when the paywall trims the tail, so indexes still match.
    links = {u for u, i in zip(cleaner.links, cleaner.link_blocks) if i not in to_model}
    if entry.link:
        links.add(entry.link)
    return Article(
        entry=entry,
        blocks=tuple(blocks),
        links=frozenset(links),
        mentions=x_handles(b.text for b in blocks if not b.to_model),
        hashtags=frozenset(t.lower() for t in _HASHTAG.findall(text)),
        notes=notes,
    )
