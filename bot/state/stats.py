"""Counts for /metrics, read from the store at each scrape: entries by status, drafts by state, posts, calls, spend."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.state.database import guard as _guard
from bot.state.store import Store


@dataclass(frozen=True, slots=True)
class Counts:
    """What /metrics shows: entries by status, drafts by state, posts, failed entries, model calls by outcome
    (ok, failed), and the X spend in dollars."""

    entries: dict[str, int]
    drafts: dict[str, int]
    posts: int
    failures: int
    model_calls: dict[str, int]
    spend: float
    by_publication: dict[tuple[str, str], int] = field(default_factory=dict)  # (publication, status) -> entries
    posts_by: dict[tuple[str, str], int] = field(default_factory=dict)  # (publication, network) -> posts


class Stats:
    """Aggregate counts only: no title, text or secret ever leaves through here."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @_guard
    def read(self) -> Counts:
        """The counts, read now."""
        run = self.store._run
        entries = {r["status"]: int(r["n"]) for r in run("SELECT status, COUNT(*) AS n FROM entries GROUP BY status")}
        drafts = {r["state"]: int(r["n"]) for r in run("SELECT state, COUNT(*) AS n FROM drafts GROUP BY state")}
        posts = int(run("SELECT COUNT(*) AS n FROM tweets WHERE tweet_id IS NOT NULL")[0]["n"])
        calls: dict[str, int] = {}
        for r in run("SELECT outcome, COUNT(*) AS n FROM model_calls GROUP BY outcome"):
            key = "ok" if r["outcome"] == "ok" else "failed"  # outcomes are free text ("http 429"): two labels only
            calls[key] = calls.get(key, 0) + int(r["n"])
        spend = float(run("SELECT COALESCE(SUM(cost), 0) AS c FROM entries")[0]["c"] or 0)
        by_publication = {(r["publication"], r["status"]): int(r["n"]) for r in run(
            "SELECT publication, status, COUNT(*) AS n FROM entries GROUP BY publication, status")}
        posts_by = {(r["publication"], r["network"]): int(r["n"]) for r in run(
            """SELECT e.publication, t.network, COUNT(*) AS n FROM tweets t JOIN entries e ON e.feed = t.feed
               AND e.key = t.entry_key WHERE t.tweet_id IS NOT NULL GROUP BY e.publication, t.network""")}
        return Counts(entries, drafts, posts, entries.get("failed", 0), calls, spend, by_publication, posts_by)
