"""Writes what `bot post` shows: thread.json (the contract) and preview.html, into the output folder."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from pathlib import Path

from bot.core.errors import OutputError, redact
from bot.core.files import write_atomic
from bot.core.records import PRIMARY, Plan, PostedThread, SavedEntry, SavedPost, Thread, Tweet
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


def _post(tweet: Tweet | SavedPost) -> dict[str, object]:
    """One post as thread.json holds it: its text, its length, and `evidence` — the article passages its sentences
    stand on (bot.tweets.grounding), so a reviewer sees what each post rests on."""
    return {"text": tweet.text, "weighted_length": tweet.weighted_length, "evidence": list(tweet.evidence)}


def thread_record(thread: Thread, posted: PostedThread | None = None, feed: str = "") -> dict[str, object]:
    """The thread as the `thread.json` contract describes it (see plan_record)."""
    return plan_record(Plan.of(thread, feed), [p.item() for p in (posted.published if posted else ())])


def plan_record(plan: Plan, published: list[dict[str, object]] | None = None,
                review: dict[str, object] | None = None) -> dict[str, object]:
    """A saved plan as the `thread.json` contract describes it; the one place its top-level `tweets` is made.

    `tweets` is the primary network's (X's) thread, the contract. With other networks configured the record also
    holds `threads`: each network's own thread ({"limit", "url_weight", "tweets": [{"text", "weighted_length"}]},
    the length as that network counts it, `url_weight` what one link counts there, 0 when links count in full);
    X-only records keep exactly the contract's keys. `review`: a draft's review state.
    """
    e = plan.entry or SavedEntry()
    image = plan.image
    record: dict[str, object] = {
        "entry": {"feed": e.feed, "guid": e.guid, "link": e.link, "title": e.title, "published": e.published},
        "tweets": [_post(t) for t in plan.posts(PRIMARY)],
        "image": {"path": image.path, "alt_text": image.alt_text, "prompt": image.prompt, "source": image.source},
        "writer": {"backend": plan.writer.backend, "model": plan.writer.model, "calls": plan.writer.calls},
        "published": list(published or []),
        "notes": list(plan.notes),  # what was changed or left out of the draft, and why
    }
    if any(n != PRIMARY for n in plan.fitted):
        record["threads"] = {n: {"limit": t.limit, "url_weight": t.url_weight, "tweets": [_post(p) for p in t.posts]}
                             for n, t in plan.threads.items() if t.fitted}
    if review is not None:
        record["review"] = review
    return record


def dumps(record: dict[str, object]) -> str:
    """A thread.json record as its file holds it."""
    return json.dumps(record, ensure_ascii=False, indent=2) + "\n"


def write(out_dir: Path, thread: Thread, posted: PostedThread | None = None, feed: str = "",
          names: Mapping[str, str] | None = None, accounts: Mapping[str, str] | None = None,
          publication: str = "default") -> Path:
    """Write thread.json and preview.html into out_dir (the image is already there); return thread.json's path.
    `names`: each network's name as a person reads it (networks.registry.display_names()); `accounts`: the account
    each network's thread goes (or went) to, of `publication` (thread.json's entry.publication, published[].account)."""
    record = thread_record(thread, posted, feed)
    entry = record["entry"]
    if isinstance(entry, dict):
        entry["publication"] = publication
    items = record["published"]
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            item["account"] = (accounts or {}).get(str(item.get("network", "")), "default")
    path = out_dir / "thread.json"
    # Notes carry upstream messages: nothing a server echoed back may put a secret on disk.
    write_atomic(path, redact(dumps(record)))
    write_atomic(out_dir / "preview.html", redact(render_preview(thread, posted, names, accounts)))
    return path
