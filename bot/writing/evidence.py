"""The passages a model says each tweet rests on, read from its thread answer (the `evidence` the prompt asks for).

Two shapes are read: a top-level `"evidence": ["quote for tweet 1", ["quotes", "for tweet 2"], ...]` beside
`"tweets"`, and tweets written as objects, `{"text": "...", "evidence": "quote"}`. The last JSON object in the
answer that has tweets is the final answer (a draft before it is not). Nothing here is trusted: grounding uses a
quote only once it is found in the article, and finds the passage itself when there is none.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from bot.writing.answers import strip_reasoning

_MAX_SCAN = 200  # object starts tried: a hostile answer stays cheap


def _quotes(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if isinstance(value, list):
        return tuple(v.strip() for v in value if isinstance(v, str) and v.strip())[:5]
    return ()


def _final_object(text: str) -> Mapping[object, object] | None:
    decoder = json.JSONDecoder()
    found: Mapping[object, object] | None = None
    starts = [i for i, c in enumerate(text) if c == "{"][:_MAX_SCAN]
    end = -1
    for start in starts:
        if start < end:
            continue
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            continue
        if isinstance(value, dict) and any(str(k).lower() in ("tweets", "thread", "posts") for k in value):
            found = value
    return found


def evidence_of(answer: str, count: int) -> tuple[tuple[str, ...], ...]:
    """Per tweet (`count` of them), the quotes the model gave as its evidence; empty tuples where it gave none."""
    data = _final_object(strip_reasoning(answer or ""))
    if data is None:
        return ()
    lowered = {str(k).lower(): v for k, v in data.items()}
    lists = (v for v in (lowered.get(k) for k in ("tweets", "thread", "posts")) if isinstance(v, list))
    items: list[object] = next(lists, [])
    per_item = [_quotes(i.get("evidence") or i.get("source") or i.get("quote")) if isinstance(i, dict) else ()
                for i in items]
    top = lowered.get("evidence")
    parallel = [_quotes(v) for v in top] if isinstance(top, list) else []
    out = []
    for i in range(count):
        mine = per_item[i] if i < len(per_item) else ()
        out.append(mine or (parallel[i] if i < len(parallel) else ()))
    return tuple(out) if any(out) else ()
