"""Model calls per thread over the fixture feeds, with a scripted OpenAI-compatible model on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchlib import Figure, fixture_feeds, load_settings

_LONG = (" It goes on to show, with numbers from forty writers, why a list that readers chose on purpose keeps "
         "their attention for years, while a big one keeps losing it to the next viral post, giveaway and "
         "forwarded issue, and why that difference matters more than any growth chart.")


def _deps(tmp: Path, base_url: str) -> tuple[Any, Any]:
    from bot.run import wiring as app

    # An explicit key for the local server (the Hugging Face token is never sent to a custom endpoint).
    settings = load_settings(tmp, BOT_LLM_BASE_URL=base_url, BOT_LLM_API_KEY="bench-local-key",
                             BOT_WRITER_BACKEND="hf", BOT_IMAGE_CHAIN="none")
    return settings, app.build(settings, dry_run=True)


def _one(entry: Any, deps: Any, server: Any, out: Path) -> dict[str, Any]:
    from bot.run import pipeline

    before = len(server.chats())
    try:
        thread = pipeline.prepare(entry, deps, out)
    except Exception as exc:  # noqa: BLE001 - a bot bug on one entry is reported, the others still count
        return {"title": entry.title[:50], "error": f"{type(exc).__name__}: {exc}"[:200],
                "server_requests": len(server.chats()) - before}
    text_calls = [c for c in thread.calls if c.purpose != "image"]
    return {"title": entry.title[:50], "writer": thread.writer.backend, "writer_calls": thread.writer.calls,
            "calls": len(text_calls), "purposes": [c.purpose for c in text_calls],
            "server_requests": len(server.chats()) - before,
            "fell_back": thread.writer.backend != "hf" or bool(thread.writer.fallbacks),
            "fits": all(t.weighted_length <= 280 for t in thread.tweets)}


def calls_per_thread(tmp: Path) -> list[Figure]:
    from twins.llmserver import LLMServer, stand_in

    from bot.feed import source as feed_stage

    rows: list[dict[str, Any]] = []
    out = tmp / "model-out"
    out.mkdir(exist_ok=True)
    with LLMServer() as server:
        _, deps = _deps(tmp, server.base_url)
        for path in fixture_feeds():
            for entry in feed_stage.fetch(str(path), timeout=10, user_agent="", max_bytes=20_000_000).entries:
                rows.append({"feed": path.name, **_one(entry, deps, server, out)})
    done = [r for r in rows if "error" not in r]
    errors = [r for r in rows if "error" in r]
    calls = [r["calls"] for r in done]
    mean = round(sum(calls) / len(calls), 2) if calls else None
    fell_back = sum(r["fell_back"] for r in done)
    fig = Figure("model_calls_per_thread", f"model calls per thread, scripted model ({len(done)} threads)", mean, "calls")
    fig.details = {"threads": len(done), "mean": mean, "max": max(calls, default=None), "fell_back": fell_back,
                   "server_requests": sum(r["server_requests"] for r in rows), "entries_that_failed": len(errors),
                   "all_tweets_fit": all(r["fits"] for r in done), "per_thread": rows}
    fig.notes.append(f"mean {mean}, max {max(calls, default=None)} over {len(done)} threads from "
                     f"{len({r['feed'] for r in done})} feeds; fell back: {fell_back}; "
                     f"server saw {fig.details['server_requests']} chat requests")
    for r in errors:
        fig.notes.append(f"NOT COUNTED: {r['feed']} entry {r['title']!r} failed in the bot: {r['error']}")

    def overlong(body: dict[str, Any]) -> str:
        data = json.loads(stand_in(body))
        data["tweets"][1] = data["tweets"][1] + _LONG
        return json.dumps(data, ensure_ascii=False)

    with LLMServer(script=[overlong]) as server:
        _, deps = _deps(tmp, server.base_url)
        entries = feed_stage.fetch(str(feed_stage.SAMPLE_FEED), timeout=10, user_agent="", max_bytes=20_000_000).entries
        row = _one(feed_stage.select(entries, "latest"), deps, server, out)
    if "error" in row:
        raise RuntimeError(row["error"])
    long_fig = Figure("model_calls_with_rewrite", "model calls when the model answers one over-long tweet",
                      float(row["calls"]), "calls")
    long_fig.details = row
    long_fig.notes.append(f"calls: {', '.join(row['purposes'])}; every tweet fits: {row['fits']}; "
                          f"fell back: {row['fell_back']}")
    return [fig, long_fig]
