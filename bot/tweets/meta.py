"""Model meta-text: what a model says about its answer instead of the answer — refusals, "As an AI language
model", notes on its edits, character counts, "Tweet 1 of 3 —", JSON and code-fence debris, HTML tags, a literal
backslash-n, placeholders such as "[insert link]". None of it is the author's voice, so none of it is posted.

`unwrap` removes the debris around a tweet's words; `is_meta` says whether one sentence is talk about the
answer; `is_refusal` says whether a whole answer declines (a failed answer: the writer retries or moves on).
"""

from __future__ import annotations

import html
import re

_REFUSAL = re.compile(
    r"(?i)^\W*(?:i(?:'|’)?m\s+(?:so\s+|very\s+|really\s+)?sorry\b|sorry\s*[,!.]?\s*(?:but\s+)?(?:i|i'm|i’m|this|that|as an)\b|i\s+apologi[sz]e\b|unfortunately,?\s+i\b|as an ai\b|i(?:'|’)m an ai\b"
    r"|i\s+(?:can(?:no|'|’)?t|am\s+(?:not\s+able|unable)|(?:'|’)m\s+(?:not\s+able|unable)|won(?:'|’)t|will\s+not|must\s+decline|do\s+not\s+feel)"
    r"\s+(?:help|assist|comply|write|create|do|provide|fulfil|fulfill|generate|produce|complete|support|engage)\b"
    r"|i\s+(?:can(?:no|'|’)?t|cannot)\s+(?:help|assist)"
    r"|(?:this|that|your)\s+request\s+(?:violates|goes against|is against))")
_META_SENTENCE = re.compile(
    r"(?i)\bas an ai\b|\b(?:ai|large)\s+language\s+model\b|\bi(?:'|’)m (?:just )?an ai\b"
    r"|^\W*(?:note|n\.b|nb|disclaimer|explanation|changes|edit|update to the draft|character count|word count|length|"
    r"alt(?:\s*text)?|image\s*prompt|hashtags?|tweet\s*\d*|thread|draft|output|answer|response)\s*[:：]"
    r"|\b\d{1,4}\s*(?:characters|chars|words|tokens)\b|\b(?:character|word|token)\s+count\b"
    r"|\btweet\s*#?\d+\b|\b(?:this|the)\s+(?:tweet|thread|version|draft|rewrite|summary)\s+(?:is|has|keeps|stays|removes|cuts|fits|was)\b"
    r"|^\W*(?:i(?:'|’)?ve|i\s+have|i)\s+(?:removed|kept|shortened|rewrote|rewritten|trimmed|added|included|omitted|left out|"
    r"dropped|changed|made|cut|condensed|used|avoided|replaced|stayed|ensured)\b"
    r"|^\W*(?:let me know|(?:i\s+)?hope (?:this|that|it) (?:helps|works)|feel free to|would you like|do you want|want me to|"
    r"shall i|should i|happy to (?:adjust|help|revise|change)|here(?:'s| is| are) (?:the|your|a)\b)"
    r"|^\W*(?:sure|certainly|okay|ok|absolutely|of course)\s*[!.,]"
    r"|^\W*(?:i(?:'|’)?d|i would|i(?:'|’)?m|i am)\s+(?:be\s+)?(?:happy|glad|delighted|pleased)\s+to\b|^\W*as requested\b"
    r"|^\W*(?:sorry|unfortunately),?\s+(?:but\s+)?(?:i|i'm|i’m|as an ai)\b")
# Debris around the words: fences, JSON syntax, think tags, HTML, "Tweet 1 of 3 —", a literal \n, placeholders.
_FENCE = re.compile(r"```[a-zA-Z0-9_-]*|~~~")
_THINK = re.compile(r"(?is)<think>.*?(?:</think>|$)|</?think>")
_DROP_ELEMENT = re.compile(r"(?is)<(script|style|template|noscript)\b[^>]*>.*?(?:</\1\s*>|$)")
_TAG = re.compile(r"(?i)</?[a-z][a-z0-9-]*(?:\s[^<>]*)?/?>|<!--.*?-->|<![^>]*>")
_JSON_OTHER = re.compile(r'(?i)^\s*[\[{,]*\s*"?(?:image_prompt|imagePrompt|alt_text|altText|image)"?\s*:')
_JSON_KEY = re.compile(r'(?i)^\s*[\[{]*\s*"(?:tweets?|thread|posts?|text|content)"\s*:\s*[\[{]*\s*"?')
_JSON_EDGE = re.compile(r'^\s*[\[{,]+\s*"|"\s*[\]},]+\s*$|^\s*"|"\s*,?\s*$')
_OF_COUNT = re.compile(r"(?i)^\W*(?:tweet|post|part)?\s*\d{1,2}\s*(?:of|/)\s*\d{1,2}\s*[:.)\-–—|]*\s*|^\W*(?:thread\s*🧵?|🧵)\s*[:(\[]?\s*\d{1,2}\s*/\s*\d{1,2}\s*[)\]:]?\s*")
_PLACEHOLDER = re.compile(r"(?i)\[(?:insert|add|your|link|url|source|citation|image|name)[^\]\n]{0,40}\]|\{\{?\s*(?:link|url|article_url|source)\s*\}?\}|<(?:link|url)>"
                          r"|\((?:link|url|source)[^)\n]{0,20}\)")
_SPECIAL = re.compile(r"<\|[a-z_]{2,20}\|>|</?s>|\[/?INST\]|<<SYS>>|<</SYS>>|<\|endoftext\|>", re.I)
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})|\\x([0-9a-fA-F]{2})")
_COUNT_NOTE = re.compile(r"(?i)\s*[(\[]\s*(?:tweet|post|part)?\s*\d{1,2}\s*(?:/|of)\s*\d{1,2}\s*[)\]]|"
                         r"\s*[(\[]\s*(?:~|about\s+)?\d{1,4}\s*(?:characters|chars|words|tokens|/\s*280)[^)\]]{0,30}[)\]]"
                         r"|\s*[(\[]\s*(?:word|character)\s+count\s*:?\s*\d+\s*[)\]]")
_LABEL = re.compile(r"(?i)^\s*\[?(?:tweet|post)\s*\d{1,2}\]?\s*[:.)\-–—]?\s*|^\s*(?:tweet\s+text|text|draft|final|output)\s*:\s*")


def is_refusal(text: str) -> bool:
    """True when an answer (or a tweet) declines the task rather than doing it."""
    return bool(_REFUSAL.search(" ".join((text or "").split())[:300]))


def is_meta(sentence: str) -> bool:
    """True when one sentence talks about the answer (counts, notes, refusals, 'as an AI') instead of the article."""
    return is_refusal(sentence) or bool(_META_SENTENCE.search(sentence.strip()))


def unwrap(text: str) -> str:
    """A tweet without the debris a model leaves around its words (the words themselves are kept)."""
    text = _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2) or m.group(3), 16)), text)
    text = _SPECIAL.sub(" ", text)
    text = text.replace("\\r\\n", "\n").replace("\\n", "\n").replace("\\t", " ").replace('\\"', '"')
    text = _THINK.sub(" ", text)
    text = re.sub(r"(?i)<\s*(?:dot|\.)\s*>", ".", text)  # "evil<dot>com" is a spelled-out dot, not a tag
    text = _FENCE.sub("\n", text)
    text = _DROP_ELEMENT.sub(" ", text)
    text = re.sub(r"(?i)<br\s*/?>|</p\s*>", "\n", text)
    text = _TAG.sub(" ", text)
    text = html.unescape(text) if re.search(r"&(?:#\d+|#x[0-9a-f]+|[a-z]{2,8});", text, re.I) else text
    text = _JSON_KEY.sub("", text)
    lines = []
    for line in text.split("\n"):
        if _JSON_OTHER.match(line) or re.fullmatch(r"\s*[\[\]{},]+\s*", line):
            continue  # the image prompt or alt text of a JSON answer, or its brackets: not tweet text
        line = _JSON_EDGE.sub("", line) if line.count('"') % 2 or re.search(r'^\s*[\[{,]|[\]},]\s*$', line) else line
        line = _OF_COUNT.sub("", line)
        line = _LABEL.sub("", line)
        if re.fullmatch(r"\s*[-=*_]{3,}\s*", line):
            continue
        lines.append(line)
    text = "\n".join(lines)
    text = _COUNT_NOTE.sub("", text)
    return _PLACEHOLDER.sub(" ", text)
