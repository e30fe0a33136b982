"""Reading a model's answer: the thread JSON wherever it hides, else a numbered list — never `split('1:')`.

Pure functions, no I/O. Models wrap JSON in prose or code fences, prefix reasoning in <think> blocks,
rename keys, or ignore the format and answer `Tweet 1: ...` or `1. ...`; each of those is read here,
and anything else is None so the writer can ask once more or fall back.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.tweets.meta import is_refusal

_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.S | re.I)
_FENCE = re.compile(r"```[a-zA-Z0-9_-]*\s*\n?(.*?)```", re.S)
_TWEET_KEYS = ("tweets", "thread", "posts", "tweet_texts")
_TEXT_KEYS = ("text", "tweet", "content", "body")
_PROMPT_KEYS = ("image_prompt", "imagePrompt", "image", "prompt")
_ALT_KEYS = ("alt_text", "altText", "alt", "image_alt_text")
# "Tweet 1:", "**Tweet 1/3**", "Post 2 -", "### Tweet 3" at the start of a line.
_LABELLED = re.compile(r"^\s*(?:#+\s*)?(?:\*\*|__)?\s*(?:tweet|post)\s*(\d{1,2})(?:\s*/\s*\d{1,2})?\s*(?:\*\*|__)?\s*[:.)\-–—]?\s*(?:\*\*|__)?\s*(.*)$", re.I)
# "1.", "1)", "1/3", "1/" at the start of a line.
_NUMBERED = re.compile(r"^\s*(\d{1,2})\s*(?:[.)]|/\s*\d{0,2}|:)\s+(.*)$")
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
    """The tweets, image prompt and alt text in a model's answer, or None when there is no thread in it."""
    text = strip_reasoning(text)
    if not text or is_refusal(text):
        return None
    for candidate in _json_values(text):
        parsed = _from_json(candidate)
        if parsed is not None:
            return parsed
    return _from_list(text)


def parse_rewrite(text: str) -> str:
    """The shortened tweet in a model's answer: no fences, lead-ins, labels or surrounding quotes ("" for a refusal)."""
    text = strip_reasoning(text)
    if is_refusal(text):
        return ""
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


def _json_values(text: str) -> list[Any]:
    """JSON values found in the text: fenced blocks first, then the whole text, then each object in it."""
    found: list[Any] = []
    chunks = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder()
    for chunk in chunks:
        chunk = chunk.strip()
        try:
            found.append(json.loads(chunk))
            continue
        except ValueError:
            pass
        starts = [i for i, c in enumerate(chunk) if c in "{["][:50]  # bounded: hostile output stays cheap
        for start in starts:
            try:
                value, _end = decoder.raw_decode(chunk, start)
            except ValueError:
                continue
            found.append(value)
            if isinstance(value, dict):
                break
    return found


def _first_str(data: dict[str, Any], keys: tuple[str, ...]) -> str:
    lowered = {str(k).lower(): v for k, v in data.items()}
    for key in keys:
        value = lowered.get(key.lower())
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _tweet_text(item: Any) -> str:
    if isinstance(item, str):
        return item.strip()
    if isinstance(item, dict):
        return _first_str(item, _TEXT_KEYS)
    return ""


def _from_json(value: Any) -> Parsed | None:
    items: Any = None
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
        match = _LABELLED.match(line) or _NUMBERED.match(line)
        if match and int(match.group(1)) == expected:
            current = [match.group(2).strip()]
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
