"""Reading a model's answer: the thread JSON wherever it hides, else a numbered list — never `split('1:')`.

Pure functions, no I/O. Models wrap JSON in prose or code fences (sometimes never closed), prefix reasoning in
<think> blocks, write a draft before their final answer, rename keys, write JSON with trailing commas, single or
curly quotes (repaired with `json_repair` rather than thrown away), or ignore the format and answer `Tweet 1: ...`,
`1. ...` or `**1/3** ...`; each of those is read here. The answer read is the final one: what follows the last
"Final answer:" when there is one, else the last thread in the text. Numbering ("🧵 1/", "(1/3)", "1/", "1.") is
taken off every tweet before anything checks it. Anything else is None so the writer can ask once more or fall back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.tweets.meta import is_refusal

_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.S | re.I)
_FENCE = re.compile(r"```[a-zA-Z0-9_-]*\s*\n?(.*?)(?:```|$)", re.S)
_FENCE_MARK = re.compile(r"```[a-zA-Z0-9_-]*|~~~")
# "Final answer:", "**Final version:**", "## Revised thread:" at the start of a line: what follows is the answer.
_FINAL = re.compile(r"(?im)^[ \t>*_#]*(?:final(?:[ \t]+(?:answer|version|thread|draft|output|tweets))?|revised(?:[ \t]+"
                    r"(?:version|thread|answer|draft))?|(?:my[ \t]+)?answer|corrected(?:[ \t]+version)?)[ \t]*[*_]*[ \t]*[:：][*_]*")
# A tweet's own numbering: "🧵 1/", "1/3", "(1/3)", "[1]", "**1/3**", "1.", "1)" before its first word.
_NUMBER = re.compile(r"^\s*(?:🧵\s*)?(?:\*\*|__)?\s*(?:[(\[]\s*(?P<a>\d{1,2})(?:\s*/\s*\d{1,2})?\s*[)\]]"
                     r"|(?P<b>\d{1,2})\s*/\s*\d{0,2}|(?P<c>\d{1,2})[.)](?=[\s*_]))\s*(?:\*\*|__)?\s*(?:🧵\s*)?[:\-–—|]?\s*")
_TWEET_KEYS = ("tweets", "thread", "posts", "tweet_texts")
_TEXT_KEYS = ("text", "tweet", "content", "body")
_PROMPT_KEYS = ("image_prompt", "imagePrompt", "image", "prompt")
_ALT_KEYS = ("alt_text", "altText", "alt", "image_alt_text")
# "Tweet 1:", "**Tweet 1/3**", "Post 2 -", "### Tweet 3" at the start of a line.
_LABELLED = re.compile(r"^\s*(?:#+\s*)?(?:\*\*|__)?\s*(?:tweet|post)\s*(\d{1,2})(?:\s*/\s*\d{1,2})?\s*(?:\*\*|__)?\s*[:.)\-–—]?\s*(?:\*\*|__)?\s*(.*)$", re.I)
# "1.", "1)", "1/3", "1/", "**1/3**", "(1/3)", "🧵 1/" at the start of a line.
_NUMBERED = re.compile(r"^\s*(?:🧵\s*)?(?:\*\*|__)?\s*(?:[(\[]\s*(?P<a>\d{1,2})(?:\s*/\s*\d{1,2})?\s*[)\]]|(?P<b>\d{1,2})\s*"
                       r"(?:[.)]|/\s*\d{0,2}|:|\ufe0f?\u20e3))\s*(?:\*\*|__)?\s*[:\-–—]?\s+(?P<body>.*)$")
_TWEETS_OPEN = re.compile(r"""["'“”‘’]?(?:tweets?|thread|posts?)["'“”‘’]?\s*:\s*\[""", re.I)
_FIELD = re.compile(r"^\s*(?:\*\*|__)?\s*(image[ _]prompt|alt[ _]text)\s*(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?\s*(.*)$", re.I)
_LEAD_IN = re.compile(r"^\s*(?:\*\*|__)?\s*(?:here(?:'s| is)[^:\n]{0,60}|(?:shortened|shorter|rewritten|revised|new|final)"
                      r"(?: (?:tweet|version|text))?(?: \([^)\n]{0,40}\))?|tweet)\s*:\s*(?:\*\*|__)?\s*", re.I)
# A paragraph after the tweet in which the model talks about its edit ("I removed the examples…").
_COMMENTARY = re.compile(r"^\s*(?:\(|\*|I\b|I've\b|I'm\b|Note\b|This (?:version|keeps|removes|cuts|shortens)\b|"
                         r"Changes\b|Explanation\b|Character count\b|\d+ characters\b|—)", re.I)
_QUOTES = ("\"\"", "''", "“”", "‘’", "«»", "「」")


@dataclass(frozen=True, slots=True)
class Parsed:
    """What could be read from a model's answer."""

    tweets: tuple[str, ...]
    image_prompt: str = ""
    alt_text: str = ""
    form: str = "json"  # "json" or "list": how the answer was written


def strip_reasoning(text: str) -> str:
    """The answer without the reasoning that models put first: <think>…</think>, or all before a lone </think>."""
    text = text or ""
    end = text.lower().rfind("</think>")
    if end >= 0:  # servers often drop the opening tag; whatever precedes the last closing one is reasoning
        text = text[end + len("</think>"):]
    return _THINK.sub("", text).strip()


def refused(text: str, parsed: Parsed | None) -> bool:
    """True when the answer declines the task ("I can't help with that"): a failed answer, never a tweet."""
    if parsed is None:
        return is_refusal(strip_reasoning(text))
    return is_refusal(parsed.tweets[0]) or all(is_refusal(t) for t in parsed.tweets)


def parse_thread(text: str) -> Parsed | None:
    """The tweets, image prompt and alt text in a model's final answer, or None when there is no thread in it."""
    text = strip_reasoning(text)
    if not text or is_refusal(text):
        return None
    finals = list(_FINAL.finditer(text))
    parts = [text[finals[-1].end():], text] if finals and text[finals[-1].end():].strip() else [text]
    for part in parts:
        threads = [p for p in (_from_json(v) for v in _json_values(part)) if p is not None]
        parsed = threads[-1] if threads else _from_list(part)
        if parsed is not None:
            return Parsed(strip_numbering(parsed.tweets), parsed.image_prompt, parsed.alt_text, parsed.form)
    return None


def strip_numbering(tweets: tuple[str, ...]) -> tuple[str, ...]:
    """Tweets without the numbering a model put before each ("🧵 1/", "(1/3)", "**1/3**", "1/", "1."): taken off
    where a tweet's number is its place in the thread and two or more tweets are numbered, so "1/3 of members"
    opening a lone tweet is kept."""
    out = []
    numbered = [m for i, t in enumerate(tweets, 1) if (m := _NUMBER.match(t)) and int(m["a"] or m["b"] or m["c"]) == i]
    for i, tweet in enumerate(tweets, 1):
        m = _NUMBER.match(tweet)
        if m and int(m["a"] or m["b"] or m["c"]) == i and len(numbered) >= 2:
            tweet = tweet[m.end():].strip() or tweet
        out.append(tweet)
    return tuple(out)


def parse_rewrite(text: str) -> str:
    """The shortened tweet in a model's answer: no fences, lead-ins, labels or surrounding quotes ("" for a refusal)."""
    text = strip_reasoning(text)
    if is_refusal(text):
        return ""
    finals = list(_FINAL.finditer(text))
    if finals and text[finals[-1].end():].strip():  # "Draft: … Final: …": the final one
        text = text[finals[-1].end():]
    fenced = _FENCE.search(text)
    if fenced:
        text = fenced.group(1).strip()
    for value in _json_values(text):
        if isinstance(value, dict):
            found = _first_str(value, _TEXT_KEYS)
            if found:
                return _unquote(found)
        if isinstance(value, str) and value.strip():
            return _unquote(value)
    text = _LEAD_IN.sub("", text.strip(), count=1)
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    while len(paragraphs) > 1 and _COMMENTARY.match(paragraphs[-1]):
        paragraphs.pop()
    return _unquote("\n\n".join(paragraphs))


def _unquote(text: str) -> str:
    text = text.strip()
    for pair in _QUOTES:
        if len(text) >= 2 and text[0] == pair[0] and text[-1] == pair[1] and pair[0] not in text[1:-1]:
            return text[1:-1].strip()
    return text


def _json_values(text: str) -> list[object]:
    """JSON values in the text, in order: each object or array decoded where it stands (code fences, closed or
    not, read as plain text), else what json_repair makes of the text from its first brace."""
    plain = _FENCE_MARK.sub("\n", text).strip()
    try:
        return [json.loads(plain)]
    except ValueError:
        pass
    found: list[object] = []
    decoder = json.JSONDecoder()
    done = 0
    tries = 0
    for start, char in enumerate(plain):
        if char not in "{[" or start < done:
            continue
        tries += 1
        if tries > 50:  # bounded: hostile output stays cheap
            break
        try:
            value, done = decoder.raw_decode(plain, start)
        except ValueError:
            continue
        found.append(value)
    if any(_from_json(v) is not None for v in found):
        return found
    first = min((i for i in (plain.find("{"), plain.find("[")) if i >= 0), default=-1)
    if first < 0:
        return found
    opened = _TWEETS_OPEN.search(plain)
    if not plain.endswith(("}", "]")) and opened and "]" not in plain[opened.end():]:
        return found  # cut off inside its tweets (max_tokens): the last tweet is half a sentence; ask again
    return found + _repaired(plain[first:])


def _repaired(text: str) -> list[object]:
    """What json_repair reads in a broken JSON answer (trailing commas, single or curly quotes, a cut-off end)."""
    import json_repair

    try:
        value = json_repair.loads(text[:200_000])
    except (ValueError, RecursionError):
        return []
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return list(value)  # several objects in a row: a draft and its final version
    return [value] if isinstance(value, (dict, list)) and value else []


def _first_str(data: Mapping[object, object], keys: tuple[str, ...]) -> str:
    lowered = {str(k).lower(): v for k, v in data.items()}
    for key in keys:
        value = lowered.get(key.lower())
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _tweet_text(item: object) -> str:
    if isinstance(item, str):
        return item.strip()
    if isinstance(item, dict):
        return _first_str(item, _TEXT_KEYS)
    return ""


def _from_json(value: object) -> Parsed | None:
    items: list[object] | None = None
    prompt = alt = ""
    if isinstance(value, dict):
        lowered = {str(k).lower(): v for k, v in value.items()}
        items = next((lowered[k] for k in _TWEET_KEYS if isinstance(lowered.get(k), list)), None)
        prompt, alt = _first_str(value, _PROMPT_KEYS), _first_str(value, _ALT_KEYS)
    elif isinstance(value, list):
        items = value
    if not items:
        return None
    tweets = tuple(t for t in (_tweet_text(i) for i in items) if t)
    return Parsed(tweets, prompt, alt, "json") if tweets else None


def _from_list(text: str) -> Parsed | None:
    """`Tweet 1: …` headers or a `1. …` list, numbered from 1; continuation lines join their item."""
    items: list[list[str]] = []
    fields: dict[str, str] = {}
    expected = 1
    current: list[str] | None = None
    for line in text.splitlines():
        field = _FIELD.match(line)
        if field:
            fields[field.group(1).lower().replace(" ", "_")] = field.group(2).strip().strip("*_").strip()
            current = None
            continue
        match = _LABELLED.match(line)
        numbered = None if match else _NUMBERED.match(line)
        number, body = (match.group(1), match.group(2)) if match else \
            ((numbered["a"] or numbered["b"], numbered["body"]) if numbered else ("", ""))
        if number and int(number) == expected:
            current = [body.strip()]
            items.append(current)
            expected += 1
        elif current is not None and line.strip():
            current.append(line.strip())
        elif current is not None and not line.strip() and current[-1] != "":
            current.append("")
    tweets = tuple(t for t in ("\n".join(part).strip() for part in items) if t)
    if len(tweets) < 2:  # one "1." line is more likely prose than a thread
        return None
    return Parsed(tweets, fields.get("image_prompt", ""), fields.get("alt_text", ""), "list")
