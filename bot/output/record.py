"""Writes what `bot post` shows: thread.json (the contract) and preview.html, into the output folder."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.core.errors import OutputError
from bot.core.errors import redact
from bot.core.files import write_atomic
from bot.core.records import PRIMARY, PostedThread, Thread, Tweet
from bot.output.preview import render_preview


def prepare_dir(out_dir: Path) -> Path:
    """Create the output folder, or raise OutputError with a hint when it cannot be written."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / f".write-test-{uuid.uuid4().hex[:12]}"  # its own name: two threads may probe at once
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OutputError(f"cannot write to the output folder {out_dir}: {exc.strerror or exc}",
                          "choose another with --out DIR, or fix its permissions") from None
    return out_dir


def _post(tweet: Tweet) -> dict[str, Any]:
    """One post as thread.json holds it: its text, its length, and `evidence` — the article passages its sentences
    stand on (bot.tweets.grounding), so a reviewer sees what each post rests on."""
    return {"text": tweet.text, "weighted_length": tweet.weighted_length, "evidence": list(tweet.evidence)}


def thread_record(thread: Thread, posted: PostedThread | None = None, feed: str = "", *,
                  plan: bool = False) -> dict[str, Any]:
    """The thread as the `thread.json` contract describes it.

    With networks beyond X configured it also holds `threads`: each network's own thread ({"limit", "url_weight",
    "tweets": [{"text", "weighted_length"}]}, the length as that network counts it, `url_weight` what one link
    counts there, 0 when links count in full); X-only records keep exactly the
    contract's keys, and X's thread is always `tweets`. A `plan` (what the store keeps, so a
    resumed run posts the same text) always holds every network's thread and the writer's draft.
    """
    entry = thread.article.entry
    image = thread.image
    record = {
        "entry": {
            "feed": feed or entry.feed,
            "guid": entry.guid,
            "link": entry.link,
            "title": entry.title,
            "published": entry.published.isoformat() if entry.published else None,
        },
        "tweets": [_post(t) for t in thread.tweets],
        "image": {
            "path": image.path.name if image.path else None,
            "alt_text": image.alt_text,
            "prompt": image.prompt,
            "source": image.source,
        },
        "writer": {"backend": thread.writer.backend, "model": thread.writer.model, "calls": thread.writer.calls},
        "published": [p.item() for p in (posted.published if posted else ())],
        "notes": list(thread.notes),  # what was changed or left out of the draft, and why
    }
    if plan or any(n.network != PRIMARY for n in thread.networks):
        record["threads"] = {n.network: {"limit": n.limit, "url_weight": n.url_weight,
                                         "tweets": [_post(t) for t in n.tweets]} for n in thread.networks}
    if plan:
        record["draft"] = list(thread.draft)
    return record


def write(out_dir: Path, thread: Thread, posted: PostedThread | None = None, feed: str = "",
          names: Mapping[str, str] | None = None) -> Path:
    """Write thread.json and preview.html into out_dir (the image is already there); return thread.json's path.
    `names`: each network's name as a person reads it (networks.registry.display_names())."""
    record = thread_record(thread, posted, feed)
    path = out_dir / "thread.json"
    # Notes carry upstream messages: nothing a server echoed back may put a secret on disk.
    write_atomic(path, redact(json.dumps(record, ensure_ascii=False, indent=2)) + "\n")
    write_atomic(out_dir / "preview.html", redact(render_preview(thread, posted, names)))
    return path
