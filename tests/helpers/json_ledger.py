"""A Ledger kept in one JSON file, written atomically and fsynced: durable when record()/pending() return.

The store keeps the real ledger in its database; this one lets the publishing tests (and the crash test's
child process) run without a database while keeping the same promise.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.core.records import PublishedTweet


class JSONLedger:
    """bot.networks.base.Ledger in a JSON file: {"done": {position: {tweet_id, media_id}}, "pending": [positions]}."""

    def __init__(self, path: Path, now: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.now = now  # the clock's time(): when a position was marked pending
        self.lost = False  # the Ledger protocol: set when the claim is lost (never, here)

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"done": {}, "pending": []}
        return json.loads(self.path.read_text())

    def _write(self, state: dict[str, Any]) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w") as f:
            json.dump(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def done(self) -> dict[int, PublishedTweet]:
        """Positions already posted."""
        return {int(p): PublishedTweet(int(p), t["tweet_id"], t.get("media_id", ""))
                for p, t in self._read()["done"].items()}

    def record(self, tweet: PublishedTweet) -> None:
        """Keep a posted tweet's id (durable on return)."""
        state = self._read()
        state["done"][str(tweet.position)] = {"tweet_id": tweet.tweet_id, "media_id": tweet.media_id}
        state["pending"] = [p for p in state["pending"] if p != tweet.position]
        self._write(state)

    def pending(self, position: int) -> None:
        """Mark that a request for this position is about to go out (durable on return)."""
        state = self._read()
        if position not in state["pending"]:
            state["pending"].append(position)
        state.setdefault("pending_at", {})[str(position)] = self.now()
        self._write(state)

    def refused(self, position: int) -> None:
        """The request for this position was refused (nothing made): no longer pending (durable on return)."""
        state = self._read()
        state["pending"] = [p for p in state["pending"] if p != position]
        state.get("pending_at", {}).pop(str(position), None)
        self._write(state)

    def pending_positions(self) -> set[int]:
        """Positions sent with no recorded answer."""
        state = self._read()
        return {p for p in state["pending"] if str(p) not in state["done"]}

    def pending_times(self) -> dict[int, float]:
        """Those positions with when each was marked pending."""
        state = self._read()
        return {p: float(state.get("pending_at", {}).get(str(p), 0.0)) for p in self.pending_positions()}
